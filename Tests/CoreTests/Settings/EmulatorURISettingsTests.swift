import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// Settings pointing at the local emulator (plain http on loopback, path-style URIs) pass the pre-job checks.
@Suite struct EmulatorURISettingsTests {
    @Test func emulatorSignedURIsPassTheChecks() async throws {
        try await EmulatorFixture.run(pageBlobs: 2) { fixture in
            let directory = try SettingsFixtures.temporaryDirectory("emulator-settings")
            defer { try? FileManager.default.removeItem(at: directory) }
            let status = fixture.sasURI(blob: "job.status", permissions: "rcw")
            // Signed once: each call signs anew, and an expiry a second later is another URI.
            let disks = fixture.pageBlobURIs
            let file = try SettingsFixtures.write(
                [
                    "settings": ["taskId": "emu_1", "commandToExecute": "snapshot"],
                    "protectedSettings": [
                        "objectStr": SettingsFixtures.base64JSON(["blobSASUri": disks]),
                        "statusBlobUri": status,
                    ],
                ], to: directory.appendingPathComponent("emulator.json"))
            let settings = try SettingsLoader.load(path: file.path)
            #expect(settings.disks.map(\.blob) == ["disk0", "disk1"])
            #expect(settings.disks.allSatisfy { $0.account == fixture.account && $0.isLoopback })
            #expect(settings.disks.map(\.original) == disks)
            #expect(settings.statusBlob?.original == status)
        }
    }

    @Test func readOnlyEmulatorURIIsRejectedForSnapshots() async throws {
        try await EmulatorFixture.run { fixture in
            let directory = try SettingsFixtures.temporaryDirectory("emulator-settings")
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = try SettingsFixtures.write(
                [
                    "settings": ["taskId": "emu_2", "commandToExecute": "snapshot"],
                    "protectedSettings": [
                        "objectStr": ["blobSASUri": [fixture.sasURI(blob: "disk0", permissions: "r")]]
                    ],
                ], to: directory.appendingPathComponent("emulator.json"))
            let error = try #require(throws: SettingsError.self) { try SettingsLoader.load(path: file.path) }
            #expect(error.problems.map(\.expected) == ["permissions with 'c' or 'w' for snapshot"])
            #expect(error.path == "$.protectedSettings.objectStr.blobSASUri[0]")
        }
    }
}
