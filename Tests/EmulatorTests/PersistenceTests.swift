import Emulator
import Foundation
import Testing

/// With a data directory the store survives a stop and a new start.
@Suite struct PersistenceTests {
    @Test func storeSurvivesRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("emulator-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = EmulatorConfiguration(dataDirectory: directory)
        let first = BlobEmulator(configuration: configuration)
        try await first.start()
        first.createPageBlob(container: "vhds", blob: "disk0", size: 1024, metadata: ["k": "v"])
        let snapshot = try await HTTPExchange.send(
            "PUT", first.sasURI(container: "vhds", blob: "disk0") + "&comp=snapshot")
        #expect(snapshot.status == 201)
        try await first.stop()

        let second = BlobEmulator(configuration: configuration)
        try await second.start()
        #expect(second.blobContent(container: "vhds", blob: "disk0")?.count == 1024)
        #expect(second.blobMetadata(container: "vhds", blob: "disk0") == ["k": "v"])
        #expect(
            second.snapshots(container: "vhds", blob: "disk0") == [snapshot.header("x-ms-snapshot")].compactMap { $0 })
        try await second.stop()
    }
}
