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
}
