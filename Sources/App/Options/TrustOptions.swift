import ArgumentParser
import Core

/// `--ca-bundle FILE` for the commands that talk to storage: the CA certificates TLS endpoints are verified against.
struct TrustOptions: ParsableArguments {
    @Option(
        name: .customLong("ca-bundle"),
        help: ArgumentHelp(
            "PEM file of CA certificates to verify storage endpoints against (default: the configuration's caBundle, "
                + "else $CURL_CA_BUNDLE, $SSL_CERT_FILE/$SSL_CERT_DIR, else the system's).",
            valueName: "file"))
    var caBundle: String?

    func validate() throws {
        guard let caBundle else { return }
        do throws(TrustStoreError) {
            try TrustStore.validateBundle(caBundle, origin: "--ca-bundle")
        } catch {
            throw ValidationError("--ca-bundle: '\(caBundle)' \(error.reason)")
        }
    }

    /// A blob client verifying against `--ca-bundle`, else `configuration`'s caBundle, else the environment's or
    /// the system's certificates.
    func blobClient(_ configuration: VMSnapConfiguration?) -> BlobClient {
        (configuration ?? .defaults).blobClient(commandLineBundle: caBundle)
    }
}
