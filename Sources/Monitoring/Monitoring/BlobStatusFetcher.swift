import Basics
import Engine
import Foundation

/// Fetches the status blob with the engine's libcurl `BlobClient` (conditional GET).
public struct BlobStatusFetcher: StatusBlobFetching {
    public let uri: SASBlobURI
    public let client: BlobClient
    /// The longest one fetch may take; nil: the client's own timeouts.
    public let timeout: Duration?

    public init(uri: SASBlobURI, client: BlobClient = BlobClient(), timeout: Duration? = nil) {
        self.uri = uri
        self.client = client
        self.timeout = timeout
    }

    public func fetch(ifNoneMatch etag: String?) async throws -> StatusFetch {
        let response = try await client.get(uri, ifNoneMatch: etag, timeout: timeout)
        // A page-blob status target holds the document padded with zeros to a multiple of 512 bytes.
        var body = response.body
        while body.last == 0 { body.removeLast() }
        return StatusFetch(status: response.status, etag: response.etag, body: body, errorCode: response.errorCode)
    }
}
