import Basics

extension VMSnapConfiguration {
    /// What storage endpoints are verified against: `--ca-bundle` when given, else `caBundle`, else the
    /// environment's (`CURL_CA_BUNDLE`, `SSL_CERT_FILE`, `SSL_CERT_DIR`) or libcurl's default.
    public func trustAnchors(commandLineBundle: String?) -> TrustAnchors {
        if let commandLineBundle { return .resolve(explicit: commandLineBundle, origin: "--ca-bundle") }
        return .resolve(explicit: caBundle, origin: "caBundle in vmsnap's configuration")
    }

    /// A blob client verifying TLS peers against `trustAnchors(commandLineBundle:)`.
    public func blobClient(commandLineBundle: String?) -> BlobClient {
        BlobClient(
            configuration: BlobClient.Configuration(trustAnchors: trustAnchors(commandLineBundle: commandLineBundle)))
    }
}
