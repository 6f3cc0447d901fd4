import Core
import Emulator
import Foundation
import TestSupport
import Testing

/// `vmsnap fleet --once` against the emulator: 200 VMs' status blobs in mixed states, vmsnap's documents and
/// documents shaped like Microsoft's extension's, missing and unreadable blobs.
@Suite(.serialized) struct FleetEndToEndTests {
    /// What VM number `index` holds, and the verdict (or `unreadable`) the fleet must show for it.
    enum Kind: Int, CaseIterable {
        case succeeded, failed, warning, running, stuck, peerSucceeded, peerStuck, peerFailed, missing, unreadable

        var expected: String {
            switch self {
            case .succeeded, .peerSucceeded: "succeeded"
            case .failed, .peerFailed: "failed"
            case .warning: "warning"
            case .running: "running"
            case .stuck, .peerStuck: "stuck"
            case .missing: "no job"
            case .unreadable: "unreadable"
            }
        }
    }

    /// A vmsnap status blob document of a job of this kind, written 30 s before `now` (an hour for a stuck one).
    static func document(_ kind: Kind, now: Date) throws -> Data {
        let disks = (0..<2).map { index in
            DiskProgress(
                index: index, blobURI: "https://acct.blob.core.windows.net/vhds/disk\(index).vhd", account: "acct",
                container: "vhds", blob: "disk\(index).vhd", state: .succeeded, attempts: 1)
        }
        var report = JobReport(taskID: UUID().uuidString, commandStartTicks: nil, disks: disks)
        report.updated = now.addingTimeInterval(-30)
        switch kind {
        case .succeeded, .warning, .failed:
            report.finished = true
            report.code = kind == .failed ? .snapshotFailed : .success
            report.healthStatusCode = kind == .failed ? .someSnapshotsFailed : .success
            report.status = kind == .failed ? .error : .success
            if kind != .succeeded {
                report.disks[1].state = .failed
                report.disks[1].httpStatus = 403
                report.disks[1].errorCode = "AuthenticationFailed"
            }
            if kind == .succeeded { report.lastSuccessUTC = ISO8601Timestamp.format(report.updated) }
        case .stuck: report.updated = now.addingTimeInterval(-3600)
        default: break
        }
        return try JSONEncoder().encode([report.blobDocument()])
    }

    @Test func twoHundredVMsWorstFirst() async throws {
        let fixture = try await EmulatorFixture.start(pageBlobs: 0, container: "status")
        defer { Task { try await fixture.stop() } }
        let client = BlobClient()
        let now = Date()
        var lines = ["# 200 VMs in mixed states", ""]
        var expected: [String: String] = [:]
        for index in 0..<200 {
            let kind = try #require(Kind(rawValue: index % Kind.allCases.count))
            let name = String(format: "vm-%03d", index)
            let blob = "\(name).status"
            var uri = fixture.sasURI(blob: blob)
            let body: Data? =
                switch kind {
                case .succeeded, .failed, .warning, .running, .stuck: try Self.document(kind, now: now)
                case .peerSucceeded: try StatusDocumentFixtures.data(StatusDocumentFixtures.peerStatusBlob)
                case .peerStuck: try StatusDocumentFixtures.data(StatusDocumentFixtures.peerSuccessWordAtCode4)
                case .peerFailed: try StatusDocumentFixtures.data(StatusDocumentFixtures.peerPartialWithUnnamedDisk)
                case .missing: nil
                case .unreadable: index % 20 == 9 ? Data("not a status document".utf8) : Data("[]".utf8)
                }
            if let body {
                let put = try await client.putBlockBlob(
                    try SASBlobURI(uri), body: body, contentType: "application/json")
                #expect(put.status == 201)
            }
            if kind == .unreadable && index % 20 == 19 {
                // A signature the emulator refuses: 403 AuthenticationFailed.
                uri = uri.replacingOccurrences(of: "sig=", with: "sig=AAAA")
            }
            lines.append("\(name) \(uri)")
            expected[name] = kind.expected
        }
        let inventory = try SettingsFixtures.temporaryDirectory("fleet").appendingPathComponent("vms.txt")
        defer { try? FileManager.default.removeItem(at: inventory.deletingLastPathComponent()) }
        try lines.joined(separator: "\n").write(to: inventory, atomically: true, encoding: .utf8)

        let output = try await BuiltBinary.run(["fleet", "--vms", inventory.path, "--once", "--json"])
        #expect(output.status == 3, "the worst VM is stuck: \(output.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "vmsnap.fleet/1")
        let vms = try #require(object["vms"] as? [[String: Any]])
        #expect(vms.count == 200)
        for vm in vms {
            let name = try #require(vm["name"] as? String)
            let shown = vm["error"] is String ? "unreadable" : vm["verdict"] as? String
            #expect(shown == expected[name], "\(name): \(vm)")
        }
        let order = ["stuck", "failed", "warning", "running", "succeeded", "unreadable", "no job"]
        let ranks = vms.map { vm in
            order.firstIndex(of: vm["error"] is String ? "unreadable" : vm["verdict"] as? String ?? "") ?? -1
        }
        #expect(ranks == ranks.sorted() && !ranks.contains(-1), "worst first: \(ranks)")
        let counts = try #require(object["counts"] as? [String: Int])
        #expect(
            counts == [
                "stuck": 40, "failed": 40, "warning": 20, "running": 20, "succeeded": 40, "no job": 20,
                "unreadable": 20,
            ])
        let failed = try #require(vms.first { $0["name"] as? String == "vm-001" })
        #expect(failed["failedDisks"] as? Int == 1 && failed["totalDisks"] as? Int == 2)
        #expect((failed["cause"] as? String)?.contains("AuthenticationFailed") == true, "\(failed)")
        let peer = try #require(vms.first { $0["name"] as? String == "vm-007" })
        #expect((peer["cause"] as? String)?.contains("AuthenticationFailed") == true, "\(peer)")
        let refused = try #require(vms.first { $0["name"] as? String == "vm-019" })
        #expect((refused["error"] as? String)?.contains("403") == true, "\(refused)")
        let good = try #require(vms.first { $0["name"] as? String == "vm-000" })
        #expect(good["lastSuccessUTC"] is String)
        #expect(!output.stdout.contains("sig="), "no signature in the output")

        let text = try await BuiltBinary.run(["fleet", "--vms", inventory.path, "--once"])
        let rows = text.stdout.split(separator: "\n").map(String.init)
        #expect(rows.first?.hasPrefix("vmsnap fleet: 200 VM(s)") == true, "\(text.stdout)")
        #expect(rows.dropFirst().first?.hasPrefix("VERDICT") == true)
        #expect(rows.dropFirst(2).first?.hasPrefix("STUCK") == true)
        #expect(rows.last?.hasPrefix("NO JOB") == true)
        #expect(!text.stdout.contains("sig="))
    }

    /// `--container`: every blob of a container listed and read as a VM; a SAS without list permission is refused.
    @Test func aContainersBlobsAreTheFleet() async throws {
        let fixture = try await EmulatorFixture.start(pageBlobs: 0, container: "status")
        defer { Task { try await fixture.stop() } }
        let client = BlobClient()
        let names = ["vm-a.status", "vm-b.status", "vm & c.status"]
        let fixtures = [
            StatusDocumentFixtures.peerStatusBlob, StatusDocumentFixtures.peerFreezeFailure,
            StatusDocumentFixtures.success,
        ]
        for (name, document) in zip(names, fixtures) {
            let uri = try SASBlobURI(fixture.sasURI(blob: name))
            let put = try await client.putBlockBlob(
                uri, body: try StatusDocumentFixtures.data(document), contentType: "application/json")
            #expect(put.status == 201)
        }
        let container = fixture.emulator.signedURI(
            container: "status", blob: nil,
            parameters: SASParameters(
                version: "2020-12-06", resource: "c", permissions: "rl",
                expiry: SASParameters.format(Date().addingTimeInterval(3600))))
        let output = try await BuiltBinary.run(["fleet", "--container", container, "--once", "--json"])
        #expect(output.status == 1, "the worst VM failed: \(output.stdout) \(output.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let vms = try #require(object["vms"] as? [[String: Any]])
        #expect(vms.compactMap { $0["name"] as? String } == ["vm-b.status", "vm & c.status", "vm-a.status"])
        #expect(vms.compactMap { $0["verdict"] as? String } == ["failed", "succeeded", "succeeded"])
        #expect(!output.stdout.contains("sig="))
        let refused = try await BuiltBinary.run([
            "fleet", "--container", container.replacingOccurrences(of: "sp=rl", with: "sp=r"), "--once",
        ])
        #expect(refused.status == 64 && refused.stderr.contains("l (list)"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("sig="))
    }

    @Test func aBadInventoryLineIsNamed() async throws {
        let directory = try SettingsFixtures.temporaryDirectory("fleet-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("vms.txt")
        let secret = "sig=U2VjcmV0U2lnbmF0dXJl"
        try "# header\nvm1 https://acct.blob.core.windows.net/s/vm1?sp=r&se=2099-01-01&\(secret)\nvm2\n".write(
            to: file, atomically: true, encoding: .utf8)
        let output = try await BuiltBinary.run(["fleet", "--vms", file.path, "--once"])
        #expect(output.status == 64)
        #expect(output.stderr.contains("\(file.path) line 3: expected 'NAME SAS_URI'"), "\(output.stderr)")
        let noOnce = try await BuiltBinary.run(["fleet", "--vms", file.path])
        #expect(noOnce.status == 2 && noOnce.stderr.contains("vmsnap fleet --once"), "no terminal: \(noOnce.stderr)")
        let jsonWithoutOnce = try await BuiltBinary.run(["fleet", "--vms", file.path, "--json"])
        #expect(jsonWithoutOnce.status == 64 && jsonWithoutOnce.stderr.contains("add --once"), "\(jsonWithoutOnce)")
        #expect(!(output.stdout + output.stderr).contains(secret))
    }
}
