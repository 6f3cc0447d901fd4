import Core
import Emulator
import Foundation

/// An emulator holding N page-blob disks plus a status and a log blob, a scratch folder, and the job settings
/// that snapshot those disks (as a `JobSettings` or as a settings file).
public final class SnapshotScenario: Sendable {
    public let fixture: EmulatorFixture
    /// Scratch folder for status, log and state; removed by `stop()`.
    public let directory: URL
    public let taskID = UUID().uuidString.lowercased() + "_1"
    public let diskURIs: [String]
    public let statusURI: String
    public let logURI: String
    public static let statusBlob = "status.json"
    public static let logBlob = "extension-log.txt"

    private init(fixture: EmulatorFixture, directory: URL, diskURIs: [String]) {
        self.fixture = fixture
        self.directory = directory
        self.diskURIs = diskURIs
        statusURI = fixture.sasURI(blob: Self.statusBlob)
        logURI = fixture.sasURI(blob: Self.logBlob)
    }

    /// Starts an emulator with `disks` page blobs, each with a signed 2014-02-14 SAS URI.
    public static func start(disks: Int, configuration: EmulatorConfiguration = EmulatorConfiguration())
        async throws -> SnapshotScenario
    {
        let fixture = try await EmulatorFixture.start(pageBlobs: disks, configuration: configuration)
        let directory = try SettingsFixtures.temporaryDirectory("snapshot")
        return SnapshotScenario(fixture: fixture, directory: directory, diskURIs: fixture.pageBlobURIs)
    }

    public var emulator: BlobEmulator { fixture.emulator }
    public var statusDirectory: String { directory.appendingPathComponent("status").path }
    public var logDirectory: String { directory.appendingPathComponent("log").path }
    public var stateDirectory: String { directory.appendingPathComponent("state").path }
    public static let metadata = [MetadataEntry(key: "BackupJob", value: "job-42")]

    /// Options writing into the scratch folder. The default deadline is generous: a job that takes milliseconds
    /// on a quiet machine waited out 30 s in CI while every end-to-end suite started at once on 2 cores (the real
    /// servers, the guest agent's sandbox); tests about deadlines pass their own.
    public func options(deadline: Duration = .seconds(120)) -> SnapshotJobOptions {
        SnapshotJobOptions(
            deadline: deadline, reportingTime: .seconds(10), statusDirectory: statusDirectory,
            logDirectory: logDirectory, stateDirectory: stateDirectory,
            retry: RetryPolicy(initialBackoff: .milliseconds(50), maximumBackoff: .milliseconds(400)))
    }

    /// The job's settings, built directly.
    public func settings(disks: [String]? = nil, commandStart: Date = Date()) throws -> JobSettings {
        JobSettings(
            taskID: taskID, command: "snapshot", commandStartTime: commandStart,
            commandStartTicks: String(Self.ticks(commandStart)), vmType: "microsoft.compute/virtualmachines",
            sequenceNumber: 0, disks: try (disks ?? diskURIs).map { try SASBlobURI($0) },
            statusBlob: try SASBlobURI(statusURI), logsBlob: try SASBlobURI(logURI), backupMetadata: Self.metadata,
            source: "test")
    }

    /// The settings as a `config/N.settings`-style file (plain protected settings, no certificate), with
    /// `disks` instead of the scenario's disk URIs when given; `edit` may change the public and protected settings
    /// before they are written.
    @discardableResult
    public func writeSettingsFile(
        to url: URL, commandStart: Date = Date(), disks: [String]? = nil,
        edit: (_ publicSettings: inout [String: Any], _ protectedSettings: inout [String: Any]) -> Void = { _, _ in }
    ) throws -> URL {
        try SettingsFixtures.write(
            [
                "runtimeSettings": [
                    ["handlerSettings": try handlerSettings(commandStart: commandStart, disks: disks, edit: edit)]
                ]
            ], to: url)
    }

    /// The `handlerSettings` object of this scenario's job: protected settings plain, or encrypted to
    /// `certificate` with its thumbprint, as the agent hands them over (`disks` instead of the scenario's disk URIs
    /// when given); `edit` may change both first.
    public func handlerSettings(
        taskID: String? = nil, commandStart: Date = Date(), certificate: TestCertificate? = nil,
        disks: [String]? = nil,
        edit: (_ publicSettings: inout [String: Any], _ protectedSettings: inout [String: Any]) -> Void = { _, _ in }
    ) throws -> [String: Any] {
        var publicSettings: [String: Any] = [
            "locale": "en-us", "taskId": taskID ?? self.taskID, "commandToExecute": "snapshot",
            "commandStartTimeUTCTicks": String(Self.ticks(commandStart)),
            "vmType": "microsoft.compute/virtualmachines",
            "objectStr": SettingsFixtures.base64JSON([
                "backupMetadata": Self.metadata.map { ["Key": $0.key, "Value": $0.value] }
            ]),
        ]
        var protectedSettings: [String: Any] = [
            "objectStr": SettingsFixtures.base64JSON(["blobSASUri": disks ?? diskURIs]), "logsBlobUri": logURI,
            "statusBlobUri": statusURI,
        ]
        edit(&publicSettings, &protectedSettings)
        guard let certificate else {
            return ["publicSettings": publicSettings, "protectedSettings": protectedSettings]
        }
        return [
            "publicSettings": publicSettings, "protectedSettings": try certificate.encrypt(protectedSettings),
            "protectedSettingsCertThumbprint": certificate.thumbprint,
        ]
    }

    /// A handler directory in the scratch folder, as the agent lays it out: `HandlerEnvironment.json` and this
    /// scenario's settings as `config/<sequenceNumber>.settings`.
    public func pluginDirectory(sequenceNumber: Int) throws -> URL {
        let plugin = directory.appendingPathComponent("plugin")
        try SettingsFixtures.write(
            SettingsFixtures.handlerEnvironment(pluginDirectory: plugin),
            to: plugin.appendingPathComponent("HandlerEnvironment.json"))
        try writeSettingsFile(to: plugin.appendingPathComponent("config/\(sequenceNumber).settings"))
        return plugin
    }

    /// The uploaded status blob, decoded.
    public func statusDocument() throws -> StatusBlobDocument? {
        guard let data = blob(Self.statusBlob) else { return nil }
        return try JSONDecoder().decode([StatusBlobDocument].self, from: data).first
    }

    /// The status blob once it carries the job's final document (a detached job writes the status file before its
    /// last upload ends); nil when none arrived within `timeout`.
    public func finalStatusDocument(timeout: Duration = .seconds(30)) async throws -> StatusBlobDocument? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let document = try statusDocument(), document.status.progress?.finished == true { return document }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// A blob's content in the scenario's container.
    public func blob(_ name: String) -> Data? {
        emulator.blobContent(account: fixture.account, container: fixture.container, blob: name)
    }

    /// Every signature of the scenario's URIs, percent-encoded as sent and decoded.
    public var signatures: [String] {
        (diskURIs + [statusURI, logURI]).flatMap { uri -> [String] in
            guard let parsed = try? SASBlobURI(uri), let raw = Self.rawSignature(uri) else { return [] }
            return [raw, parsed.parameters["sig"] ?? raw]
        }
    }

    /// Whether the text carries any signature of this scenario.
    public func leaksSignature(_ text: String) -> Bool {
        signatures.contains { text.contains($0) }
    }

    public func stop() async throws {
        try await fixture.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// .NET ticks (100 ns since 0001-01-01 UTC).
    public static func ticks(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 + 62_135_596_800) * 10_000_000)
    }

    private static func rawSignature(_ uri: String) -> String? {
        guard let query = uri.split(separator: "?", maxSplits: 1).last else { return nil }
        return query.split(separator: "&").first { $0.hasPrefix("sig=") }.map { String($0.dropFirst(4)) }
    }
}
