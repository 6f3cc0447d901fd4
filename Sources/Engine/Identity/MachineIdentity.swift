import Basics
import Foundation

/// Who a machine output is about: the host name always, and on Azure the VM's id and resource id from the instance
/// metadata service (IMDS).
public struct MachineIdentity: Codable, Sendable, Equatable {
    public var hostname: String
    /// Azure's `vmId`, when IMDS answered.
    public var vmID: String?
    /// The VM's ARM resource id, when IMDS answered.
    public var resourceID: String?

    public init(hostname: String, vmID: String? = nil, resourceID: String? = nil) {
        self.hostname = hostname
        self.vmID = vmID
        self.resourceID = resourceID
    }

    /// `host vm1, vmId 1234..., resource /subscriptions/...` (what is known).
    public var summary: String {
        var parts = ["host \(hostname)"]
        if let vmID { parts.append("vmId \(vmID)") }
        if let resourceID { parts.append("resource \(resourceID)") }
        return parts.joined(separator: ", ")
    }

    enum CodingKeys: String, CodingKey {
        case hostname, vmID = "vmId", resourceID = "resourceId"
    }
}

/// How the machine's identity is found: the host name, and IMDS asked only when DMI says this is an Azure VM and
/// an address is configured, with a short timeout.
public struct MachineIdentityLookup: Sendable {
    /// Where DMI's identification files are.
    public var dmiDirectory: String
    /// `host[:port]` of IMDS; nil never asks.
    public var imdsAddress: String?
    public var timeout: Duration

    /// Azure's instance metadata address (link-local).
    public static let azureIMDSAddress = "169.254.169.254"
    /// The environment variable that overrides the address (`off`: never ask); the tests set it.
    public static let addressVariable = "VMSNAP_IMDS_ADDRESS"
    /// DMI `chassis_asset_tag` of every Azure VM.
    static let azureAssetTag = "7783-7084-3265-9085"

    public init(
        dmiDirectory: String = "/sys/class/dmi/id", imdsAddress: String? = MachineIdentityLookup.azureIMDSAddress,
        timeout: Duration = .seconds(2)
    ) {
        self.dmiDirectory = dmiDirectory
        self.imdsAddress = imdsAddress
        self.timeout = timeout
    }

    /// The lookup for this machine: `$VMSNAP_IMDS_ADDRESS`, else the configuration's `imdsAddress` (`off` never
    /// asks), else Azure's address.
    public static func standard(
        configuration: VMSnapConfiguration?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> MachineIdentityLookup {
        let setting = environment[addressVariable] ?? configuration?.imdsAddress ?? azureIMDSAddress
        return MachineIdentityLookup(imdsAddress: setting == VMSnapConfiguration.offKeyword ? nil : setting)
    }

    /// Whether DMI says this machine is an Azure VM (the asset tag Hyper-V sets on Azure).
    public var isAzure: Bool {
        let tag = try? String(
            contentsOfFile: (dmiDirectory as NSString).appendingPathComponent("chassis_asset_tag"), encoding: .utf8)
        return tag?.trimmingCharacters(in: .whitespacesAndNewlines) == Self.azureAssetTag
    }

    /// The identity: IMDS's ids only when on Azure and it answers within the timeout; the host name always.
    public func resolve(client: BlobClient) async -> MachineIdentity {
        var identity = MachineIdentity(hostname: ProcessInfo.processInfo.hostName)
        guard let imdsAddress, isAzure else { return identity }
        let url = "http://\(imdsAddress)/metadata/instance/compute?api-version=2021-02-01"
        guard let answer = try? await client.fetch(url, headers: ["Metadata: true"], timeout: timeout),
            answer.status == 200,
            let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
        else { return identity }
        identity.vmID = Self.text(object["vmId"])
        identity.resourceID = Self.text(object["resourceId"])
        return identity
    }

    /// A non-empty string of at most 512 characters, printable; nil otherwise.
    private static func text(_ value: Any?) -> String? {
        guard let string = value as? String, !string.isEmpty, string.count <= 512,
            string.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f })
        else { return nil }
        return string
    }
}
