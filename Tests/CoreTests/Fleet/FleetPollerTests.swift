import Core
import Emulator
import Foundation
import TestSupport
import Testing

@testable import Monitoring

/// The fleet's inventory file and its poller against the emulator.
@Suite struct FleetPollerTests {
    @Test func theInventoryIgnoresCommentsAndNamesBadLines() throws {
        let uri = "http://127.0.0.1:1/acct/c/vm1.status?sv=2014-02-14&sr=b&sp=r&se=2099-01-01&sig=U2VjcmV0"
        let targets = try FleetInventory.parse("# fleet\n\n  vm1 \(uri)\r\nvm2\t\(uri)\n", file: "vms.txt")
        #expect(targets.map(\.name) == ["vm1", "vm2"])
        #expect(throws: FleetInventoryError(file: "vms.txt", line: 2, problem: "the name 'vm1' was given before")) {
            try FleetInventory.parse("vm1 \(uri)\nvm1 \(uri)", file: "vms.txt")
        }
        do {
            _ = try FleetInventory.parse("vm1 \(uri.replacingOccurrences(of: "sp=r", with: "sp=w"))", file: "f")
            Issue.record("a URI without read permission was accepted")
        } catch {
            #expect(error.line == 1 && error.problem.hasPrefix("vm1: "), "\(error)")
            #expect(!error.description.contains("U2VjcmV0"), "redacted: \(error)")
        }
    }

    /// The second cycle asks with each blob's ETag: storage answers 304 and the rows stay the same.
    @Test func laterCyclesAreConditional() async throws {
        try await EmulatorFixture.run(pageBlobs: 0, container: "status") { fixture in
            let writer = BlobClient()
            var targets: [FleetTarget] = []
            for name in ["vm-a", "vm-b", "vm-c"] {
                let uri = try SASBlobURI(fixture.sasURI(blob: "\(name).status"))
                let body = try StatusDocumentFixtures.data(StatusDocumentFixtures.peerStatusBlob)
                _ = try await writer.putBlockBlob(uri, body: body, contentType: "application/json")
                targets.append(FleetTarget(name: name, statusBlob: uri))
            }
            let poller = FleetPoller(targets, client: BlobClient(), timeout: .seconds(10), concurrency: 2)
            let first = await poller.cycle()
            #expect(first.map(\.verdict) == [.succeeded, .succeeded, .succeeded])
            let before = fixture.emulator.journal().count
            let second = await poller.cycle()
            #expect(second.map(\.name) == first.map(\.name) && second.map(\.cause) == first.map(\.cause))
            #expect(second.map(\.verdict) == first.map(\.verdict))
            let gets = fixture.emulator.journal().dropFirst(before).filter { $0.method == "GET" }
            #expect(gets.map(\.status) == [304, 304, 304])
        }
    }

    /// A blob that cannot be read after an earlier read keeps its document, shown as failing since then, never as
    /// current, and is backed off; a missing blob (404) is no job, no failure and no backoff.
    @Test func aFailingBlobKeepsItsLastDocumentSaysSoAndIsBackedOff() async throws {
        try await EmulatorFixture.run(pageBlobs: 0, container: "status") { fixture in
            let failing = try SASBlobURI(fixture.sasURI(blob: "vm-a.status"))
            let body = try StatusDocumentFixtures.data(StatusDocumentFixtures.partialFailure)
            _ = try await BlobClient().putBlockBlob(failing, body: body, contentType: "application/json")
            let missing = try SASBlobURI(fixture.sasURI(blob: "vm-b.status"))
            let poller = FleetPoller(
                [FleetTarget(name: "vm-a", statusBlob: failing), FleetTarget(name: "vm-b", statusBlob: missing)],
                client: BlobClient(), timeout: .seconds(10), interval: 30)
            let start = Date()
            let first = await poller.cycle(now: start)
            #expect(first.map(\.verdict) == [.failed, .noJob])
            #expect(first.allSatisfy { $0.read.lastSuccess == start && !$0.isStale(now: start) })

            fixture.emulator.setFaults([FaultRule(blob: "vm-a.status", action: .error(status: 503, code: "ServerBusy"))]
            )
            let before = fixture.emulator.journal().count
            let later = start.addingTimeInterval(30)
            let second = await poller.cycle(now: later)
            let kept = try #require(second.first { $0.name == "vm-a" })
            #expect(kept.verdict == .failed && kept.error == nil && kept.totalDisks == 3, "the earlier document")
            #expect(kept.read.failingSince == later && kept.read.lastSuccess == start)
            #expect(kept.read.lastError?.contains("503") == true && kept.isStale(now: later), "\(kept.read)")
            let none = try #require(second.first { $0.name == "vm-b" })
            #expect(none.error == nil && none.read.failingSince == nil && none.read.lastSuccess == later)

            _ = await poller.cycle(now: later.addingTimeInterval(1))
            let asked = fixture.emulator.journal().dropFirst(before).map(\.path)
            #expect(asked.filter { $0.contains("vm-a.status") }.count == 1, "backed off after its failure: \(asked)")
            #expect(asked.filter { $0.contains("vm-b.status") }.count == 2, "a missing blob is asked every cycle")
        }
    }
}
