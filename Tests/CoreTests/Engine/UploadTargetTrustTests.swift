import Core
import Foundation
import TestSupport
import Testing

/// The status and log URIs are trusted only after they pass the same SAS checks as every other URI: a refused one
/// is never contacted, and settings refused for any other reason still report to a status blob that passes.
@Suite(.serialized) struct UploadTargetTrustTests {
    /// A job whose status and log URIs are plain http to a host that is not loopback: refused with code 11, and
    /// neither URI is contacted (the signature would travel in clear text). The host is a listener in a network
    /// namespace of the test's own, reached through a veth pair.
    @Test func refusedStatusAndLogURIsAreNeverContacted() async throws {
        if let reason = IsolatedListener.unavailableReason { try Test.cancel("no network namespace: \(reason)") }
        let listener: IsolatedListener
        do {
            listener = try IsolatedListener.start()
        } catch {
            try Test.cancel("cannot create a network namespace here: \(error)")
        }
        defer { listener.stop() }
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let origin = "http://\(listener.address):\(listener.port)"
        let statusURI = try plainHTTP(scenario.statusURI, origin: origin)
        let logURI = try plainHTTP(scenario.logURI, origin: origin)
        let file = try scenario.writeSettingsFile(to: scenario.directory.appendingPathComponent("0.settings")) {
            _, protectedSettings in
            protectedSettings["statusBlobUri"] = statusURI
            protectedSettings["logsBlobUri"] = logURI
        }

        let result = await SnapshotJob.load(settingsPath: file.path, options: scenario.options()).run()

        #expect(result.code == 11)
        #expect(result.status == "error")
        #expect(!result.statusUploaded)
        #expect(listener.connections.isEmpty, "the refused URIs were contacted: \(listener.connections)")
        #expect(result.message.contains("status blob and log blob URI failed its checks and was not contacted"))
        let statusFile = try String(contentsOfFile: scenario.statusDirectory + "/0.status", encoding: .utf8)
        #expect(statusFile.contains(#""code":11"#))
        #expect(statusFile.contains("not contacted"))
        #expect(!scenario.leaksSignature(statusFile))

        // The listener does see a request sent to it, so its silence above means something.
        _ = try? await BlobClient().putBlockBlob(
            try SASBlobURI(statusURI), body: Data("probe".utf8), contentType: "text/plain", timeout: .seconds(3))
        #expect(listener.connections.count == 1, "\(listener.connections)")
        #expect(listener.connections.first?.hasPrefix("connection: PUT /devstoreaccount1/vhds/status.json?") == true)
    }

    /// Settings refused for something other than their status URI.
    enum Defect: String, CaseIterable, Sendable {
        case garbageProtectedObjectStr, badTicks, missingTaskID

        func apply(_ publicSettings: inout [String: Any], _ protectedSettings: inout [String: Any]) {
            switch self {
            case .garbageProtectedObjectStr: protectedSettings["objectStr"] = "%%% not base64, not JSON {"
            case .badTicks: publicSettings["commandStartTimeUTCTicks"] = "yesterday"
            case .missingTaskID: publicSettings["taskId"] = nil
            }
        }
    }

    /// Settings refused for another field still report the terminal error to their valid status blob (and log
    /// blob), and the message says where it went.
    @Test(arguments: Defect.allCases) func refusedSettingsStillReportToAValidStatusBlob(_ defect: Defect) async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let file = try scenario.writeSettingsFile(
            to: scenario.directory.appendingPathComponent("0.settings"), edit: defect.apply)

        let result = await SnapshotJob.load(settingsPath: file.path, options: scenario.options()).run()

        #expect(result.code == 11)
        #expect(result.statusUploaded)
        let document = try #require(try scenario.statusDocument())
        #expect(document.status.status == "error")
        #expect(document.status.code == "11")
        let message = document.status.formattedMessage.message
        #expect(message.contains("reported to the status blob, whose URI passed its checks"), "\(message)")
        let log = String(decoding: try #require(scenario.blob(SnapshotScenario.logBlob)), as: UTF8.self)
        #expect(log.contains("invalid settings"))
        #expect(
            scenario.emulator.snapshots(account: scenario.fixture.account, container: "vhds", blob: "disk0").isEmpty)
    }

    /// The URI's path and query on another origin.
    private func plainHTTP(_ uri: String, origin: String) throws -> String {
        let parsed = try SASBlobURI(uri)
        return "\(origin)/\(parsed.account)/\(parsed.container)/\(parsed.blob)?\(parsed.query)"
    }
}
