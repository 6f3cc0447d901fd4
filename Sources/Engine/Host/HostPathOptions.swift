import Basics
import Foundation

/// Whether and where a job may reach the host's backup service, and the method vmbackup.conf configures.
public struct HostPathOptions: Sendable {
    /// The WireServer to call; nil: the host path is not attempted.
    public var wireServer: WireServerClient?
    /// Why the host path is (not) available, for the log: "--wireserver http://127.0.0.1:1234", "on Azure (...)".
    public var availability: String
    /// vmbackup.conf `[SnapshotThread] SnapshotMethod` as written, when set.
    public var configuredMethod: String?

    public init(wireServer: WireServerClient?, availability: String, configuredMethod: String? = nil) {
        self.wireServer = wireServer
        self.availability = availability
        self.configuredMethod = configuredMethod
    }

    /// No host path: what a job gets unless its plan finds the WireServer.
    public static let unavailable = HostPathOptions(
        wireServer: nil, availability: "no WireServer endpoint is configured")
}

/// Whether this machine is an Azure VM, as far as reaching the WireServer is concerned.
public enum AzurePlatform {
    /// The chassis asset tag every Azure VM's DMI carries.
    public static let assetTag = "7783-7084-3265-9085-8269-3286-77"
    /// Where the guest agent leaves the WireServer's address once it found it.
    public static let agentEndpointFile = "/var/lib/waagent/WireServerEndpoint"

    /// Why this machine is taken for an Azure VM; nil when nothing says so.
    public static func evidence(sysfsRoot: String = "/sys", agentEndpointFile: String = agentEndpointFile) -> String? {
        let tagPath = sysfsRoot + "/class/dmi/id/chassis_asset_tag"
        if let tag = try? String(contentsOfFile: tagPath, encoding: .utf8),
            tag.trimmingCharacters(in: .whitespacesAndNewlines) == assetTag
        {
            return "the Azure asset tag in \(tagPath)"
        }
        if FileManager.default.fileExists(atPath: agentEndpointFile) {
            return "the guest agent's \(agentEndpointFile)"
        }
        return nil
    }
}
