import Core
import Emulator
import Foundation
import TestSupport
import Testing

/// Status and log targets that already exist as page blobs are written as Microsoft's extension writes them.
@Suite struct PageBlobTargetTests {
    @Test func aPageBlobStatusTargetStaysAPageBlobHoldingTheDocument() async throws {
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        for blob in [SnapshotScenario.statusBlob, SnapshotScenario.logBlob] {
            scenario.emulator.createPageBlob(
                account: scenario.fixture.account, container: scenario.fixture.container, blob: blob, size: 1024)
        }
        let result = await SnapshotJob(settings: try scenario.settings(), options: scenario.options()).run()
        #expect(result.code == 1 && result.statusUploaded)

        let journal = scenario.emulator.journal()
        let statusWrites = journal.filter { $0.path.contains(SnapshotScenario.statusBlob) }
        let lookups = statusWrites.filter { $0.operation == .getProperties && $0.path.contains("sig=") }
        #expect(lookups.count == 1, "the type is looked up once (the pre-connect HEAD carries no SAS)")
        #expect(statusWrites.contains { $0.operation == .putPage && $0.status == 201 })
        #expect(
            !statusWrites.contains { $0.operation == .putBlob && $0.headers["x-ms-blob-type"] != "PageBlob" },
            "never rewritten as a block blob")
        let stored = try #require(scenario.blob(SnapshotScenario.statusBlob))
        #expect(stored.count % 512 == 0)
        var document = stored
        while document.last == 0 { document.removeLast() }
        let decoded = try JSONDecoder().decode([StatusBlobDocument].self, from: document)
        #expect(decoded.first?.status.code == "1")
        let log = try #require(scenario.blob(SnapshotScenario.logBlob))
        #expect(log.count % 512 == 0 && String(decoding: log, as: UTF8.self).contains("job finished: code 1"))
        #expect(journal.contains { $0.path.contains(SnapshotScenario.logBlob) && $0.operation == .putPage })

        let fetched = try await BlobStatusFetcher(uri: try SASBlobURI(scenario.statusURI)).fetch(ifNoneMatch: nil)
        #expect(fetched.body == document, "the monitor reads the document without its zero padding")
    }

    @Test func aMissingTargetBecomesABlockBlob() async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        defer { Task { try await scenario.stop() } }
        let result = await SnapshotJob(settings: try scenario.settings(), options: scenario.options()).run()
        #expect(result.statusUploaded)
        let writes = scenario.emulator.journal().filter { $0.path.contains(SnapshotScenario.statusBlob) }
        #expect(writes.contains { $0.operation == .putBlob && $0.headers["x-ms-blob-type"] == "BlockBlob" })
        #expect(!writes.contains { $0.operation == .putPage })
    }
}
