import Core
import Foundation
import TestSupport
import Testing

@testable import Engine

/// The machine's identity: IMDS asked only when DMI says Azure, here a stand-in on loopback (never
/// 169.254.169.254).
@Suite struct MachineIdentityTests {
    private let root = TemporaryRoot()

    private func dmi(assetTag: String?) throws -> String {
        let directory = root.url.appendingPathComponent("dmi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if let assetTag {
            try Data((assetTag + "\n").utf8).write(to: directory.appendingPathComponent("chassis_asset_tag"))
        }
        return directory.path
    }

    @Test func onAzureTheStandInsIdsAreRead() async throws {
        let server = try ScriptedHTTPServer.start(
            status: "200 OK", headers: ["Content-Type: application/json"],
            body:
                #"{"vmId":"5c08b38e-4d57-4c23-ac45-aca61037f084","resourceId":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm1","name":"vm1"}"#
        )
        defer { server.stop() }
        let lookup = MachineIdentityLookup(
            dmiDirectory: try dmi(assetTag: "7783-7084-3265-9085"), imdsAddress: "127.0.0.1:\(server.port)")
        #expect(lookup.isAzure)
        let identity = await lookup.resolve(client: BlobClient())
        #expect(identity.hostname == ProcessInfo.processInfo.hostName)
        #expect(identity.vmID == "5c08b38e-4d57-4c23-ac45-aca61037f084")
        #expect(identity.resourceID?.hasSuffix("/virtualMachines/vm1") == true)
    }

    @Test func offAzureOrWithoutAnAnswerOnlyTheHostNameIsKnown() async throws {
        let server = try ScriptedHTTPServer.start(status: "200 OK", headers: [], body: #"{"vmId":"x"}"#)
        defer { server.stop() }
        let elsewhere = MachineIdentityLookup(
            dmiDirectory: try dmi(assetTag: "None"), imdsAddress: "127.0.0.1:\(server.port)")
        #expect(!elsewhere.isAzure)
        #expect(
            await elsewhere.resolve(client: BlobClient()) == MachineIdentity(hostname: ProcessInfo.processInfo.hostName)
        )
        let noDMI = MachineIdentityLookup(dmiDirectory: try dmi(assetTag: nil), imdsAddress: "127.0.0.1:\(server.port)")
        #expect(await noDMI.resolve(client: BlobClient()).vmID == nil)
        let silent = MachineIdentityLookup(
            dmiDirectory: try dmi(assetTag: "7783-7084-3265-9085"), imdsAddress: "127.0.0.1:\(try LoopbackPort.free())",
            timeout: .milliseconds(500))
        #expect(await silent.resolve(client: BlobClient()).vmID == nil, "nothing listens: no ids, no error")
        let refused = try ScriptedHTTPServer.start(status: "400 Bad Request", headers: [], body: #"{"vmId":"x"}"#)
        defer { refused.stop() }
        let bad = MachineIdentityLookup(
            dmiDirectory: try dmi(assetTag: "7783-7084-3265-9085"), imdsAddress: "127.0.0.1:\(refused.port)")
        #expect(await bad.resolve(client: BlobClient()).vmID == nil, "only a 200 counts")
    }

    @Test func theAddressComesFromTheEnvironmentThenTheConfiguration() {
        var configuration = VMSnapConfiguration.defaults
        #expect(MachineIdentityLookup.standard(configuration: nil, environment: [:]).imdsAddress == "169.254.169.254")
        configuration.imdsAddress = "127.0.0.1:9"
        #expect(
            MachineIdentityLookup.standard(configuration: configuration, environment: [:]).imdsAddress == "127.0.0.1:9")
        #expect(
            MachineIdentityLookup.standard(configuration: configuration, environment: ["VMSNAP_IMDS_ADDRESS": "off"])
                .imdsAddress == nil)
        configuration.imdsAddress = "off"
        #expect(MachineIdentityLookup.standard(configuration: configuration, environment: [:]).imdsAddress == nil)
    }
}
