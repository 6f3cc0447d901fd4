import Basics
import Foundation

extension BlobClient {
    /// The largest Put Page request.
    static let largestPageWrite = 4 << 20
    /// Page blobs are written in pages of this size.
    static let pageSize = 512

    /// Writes a whole document (the status or log blob) as Microsoft's extension and agent write it: a target that
    /// already exists as a page blob stays one (resized to the document rounded up to 512 bytes, the rest zeros,
    /// written with Put Page in pieces of at most 4 MiB); any other target becomes a block blob. The target's type is
    /// looked up once per client with Get Blob Properties.
    public func putDocument(
        _ uri: SASBlobURI, body: Data, contentType: String, timeout: Duration? = nil
    ) async throws(BlobTransportError) -> BlobResponse {
        let timeout = timeout ?? configuration.requestTimeout
        let known = documentTargets.withLock { $0[uri.blobURI] }
        let isPage: Bool
        if let known {
            isPage = known
        } else {
            let properties = try await perform(
                BlobRequest(method: .head, url: uri.requestURI(), headers: [], body: Data(), timeout: timeout))
            // Any answer settles it (404: not there yet; 403: no read permission, written as a block blob).
            isPage = properties.isSuccess && properties.header("x-ms-blob-type") == "PageBlob"
            documentTargets.withLock { $0[uri.blobURI] = isPage }
        }
        guard isPage else { return try await putBlockBlob(uri, body: body, contentType: contentType, timeout: timeout) }
        return try await putPageDocument(uri, body: body, contentType: contentType, timeout: timeout)
    }

    private func putPageDocument(
        _ uri: SASBlobURI, body: Data, contentType: String, timeout: Duration
    ) async throws(BlobTransportError) -> BlobResponse {
        let size = (body.count + Self.pageSize - 1) / Self.pageSize * Self.pageSize
        let created = try await perform(
            BlobRequest(
                method: .put, url: uri.requestURI(),
                headers: [
                    "x-ms-blob-type: PageBlob", "x-ms-blob-content-length: \(size)",
                    "x-ms-blob-content-type: \(contentType)",
                ],
                body: Data(), timeout: timeout))
        guard created.isSuccess else { return created }
        var padded = body
        padded.append(Data(count: size - body.count))
        var last = created
        var start = 0
        while start < size {
            let end = min(size, start + Self.largestPageWrite)
            last = try await perform(
                BlobRequest(
                    method: .put, url: uri.requestURI(appending: "comp=page"),
                    headers: ["x-ms-page-write: update", "x-ms-range: bytes=\(start)-\(end - 1)"],
                    body: padded.subdata(in: start..<end), timeout: timeout))
            guard last.isSuccess else { return last }
            start = end
        }
        return last
    }
}
