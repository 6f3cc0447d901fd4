import Foundation

/// Fetches the status blob with the engine's libcurl `BlobClient` (conditional GET).
public struct BlobStatusFetcher: StatusBlobFetching {
    public let uri: SASBlobURI
    public let client: BlobClient

    public init(uri: SASBlobURI, client: BlobClient = BlobClient()) {
        self.uri = uri
        self.client = client
    }

    public func fetch(ifNoneMatch etag: String?) async throws -> StatusFetch {
        let response = try await client.get(uri, ifNoneMatch: etag)
        return StatusFetch(
            status: response.status, etag: response.etag, body: response.body, errorCode: response.errorCode)
    }
}
