import Basics
import Foundation

extension VMSnapConfiguration {
    /// Where vmsnap looks for its configuration when the command line names none.
    public static let defaultPath = "/etc/vmsnap/config.json"

    /// The file named on the command line; without one, `defaultPath` when it exists, else the defaults.
    public static func load(commandLinePath path: String?, defaultPath: String = defaultPath)
        throws(ConfigurationError) -> VMSnapConfiguration
    {
        if let path { return try load(path: path) }
        guard FileManager.default.fileExists(atPath: defaultPath) else { return defaults }
        return try load(path: defaultPath)
    }

    /// How long filesystems may stay frozen: the command line's seconds when given, else `freezeTimeoutSeconds`.
    public func freezeTimeout(commandLineSeconds seconds: Int?) -> Duration {
        seconds.map { .seconds($0) } ?? .milliseconds(Int((freezeTimeoutSeconds * 1000).rounded()))
    }

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

    /// A freezer for the explicit `mounts`, or (nil or empty) for the discovered mounts minus `mountsToSkip`.
    public func freezer(
        mounts: [String]?, lockPath: String = GuardedFreezer.defaultLockPath, expediteGracePeriods: Bool = true
    ) -> GuardedFreezer {
        GuardedFreezer(
            mounts: mounts?.isEmpty == false ? mounts : nil, mountsToSkip: mountsToSkip, lockPath: lockPath,
            expediteGracePeriods: expediteGracePeriods)
    }
}
