import Basics
import Foundation

extension BlobClient {
    /// `GET url` with extra header lines: a container listing, the instance metadata service (whose address is in
    /// the proxy bypass list). `url` may carry a SAS: never print it.
    package func fetch(_ url: String, headers: [String] = [], timeout: Duration) async throws(BlobTransportError)
        -> BlobResponse
    {
        try await perform(BlobRequest(method: .get, url: url, headers: headers, body: Data(), timeout: timeout))
    }
}
