import Core
import Emulator
import Foundation
import TestSupport
import Testing

/// The live `vmsnap fleet` screen in a real pseudo-terminal (tmux) against the emulator, driven like an operator:
/// sort, a failing poll shown as such, filter, search, Enter into a VM's dashboard and `q` back to the fleet with
/// the selection kept.
@Suite(.serialized) struct FleetScreenEndToEndTests {
    /// One step of the drive: what was waited for, whether it came, and the screen then.
    private struct Checkpoint: Sendable {
        var step: String
        var met: Bool
        var screen: [String]
    }

    /// The VMs' rows: data rows hold `vm-`; the selected one starts with `>`.
    private static func vmRows(_ screen: [String]) -> [String] {
        screen.filter { $0.contains("vm-") && !$0.contains("vmsnap fleet") }
    }

    private static func selected(_ screen: [String]) -> String? { screen.first { $0.hasPrefix(">") } }

    @Test func sortFilterSearchEnterAVMAndBack() async throws {
        let fixture = try await EmulatorFixture.start(pageBlobs: 0, container: "status")
        defer { Task { try await fixture.stop() } }
        let client = BlobClient()
        let now = Date()
        let directory = try SettingsFixtures.temporaryDirectory("fleet-screen")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Names in an order the verdicts do not have: worst first puts vm-c (stuck) before vm-b (failed) before
        // vm-a (succeeded), and vm-d (no status blob) last.
        var lines: [String] = []
        for (name, document) in [
            ("vm-a", try FleetEndToEndTests.document(.succeeded, now: now)),
            ("vm-b", try FleetEndToEndTests.document(.failed, now: now)),
            ("vm-c", try FleetEndToEndTests.document(.stuck, now: now)), ("vm-d", nil),
        ] {
            let uri = fixture.sasURI(blob: "\(name).status")
            if let document {
                let put = try await client.putBlockBlob(
                    try SASBlobURI(uri), body: document, contentType: "application/json")
                #expect(put.status == 201)
            }
            lines.append("\(name) \(uri)")
        }
        let inventory = directory.appendingPathComponent("vms.txt")
        try lines.joined(separator: "\n").write(to: inventory, atomically: true, encoding: .utf8)
        let exitFile = directory.appendingPathComponent("exit")
        let command =
            "'\(BuiltBinary.vmsnap.path)' fleet --vms '\(inventory.path)' --interval 1 --utc; "
            + "echo $? > '\(exitFile.path)'; sleep 60"

        let checkpoints = try await Self.offThePool { () throws -> [Checkpoint] in
            let session = try TmuxSession(
                command: command, width: 140, height: 30,
                environment: ["TERM": "xterm-256color", "LANG": "C.UTF-8", "TMPDIR": directory.path])
            defer { session.kill() }
            var steps: [Checkpoint] = []
            func step(_ name: String, _ condition: @escaping ([String]) -> Bool) {
                let (met, screen) = session.wait(until: condition)
                steps.append(Checkpoint(step: name, met: met, screen: screen))
            }
            step("sorted worst first") { screen in
                Self.vmRows(screen).map { String($0.dropFirst(14).prefix(4)) } == ["vm-c", "vm-b", "vm-a", "vm-d"]
            }
            // vm-a's blob refused from now on: its row keeps the document it read, and says the poll fails.
            fixture.emulator.setFaults([FaultRule(blob: "vm-a.status", action: .error(status: 503, code: "ServerBusy"))]
            )
            step("a failing poll says so") { screen in
                Self.vmRows(screen).contains { row in
                    row.contains("vm-a") && row.contains("SUCCEEDED") && row.contains("FAILING")
                        && row.contains("poll failing since") && row.contains("503 ServerBusy")
                }
            }
            fixture.emulator.setFaults([])
            step("read again once it answers") { screen in
                Self.vmRows(screen).contains { $0.contains("vm-a") && $0.contains(" ago ") && !$0.contains("FAILING") }
            }
            try session.send("l")
            step("filtered: needs attention") { screen in
                screen.joined().contains("2 of 4 listed  filter: needs attention")
                    && Self.vmRows(screen).count == 2
            }
            try session.send("l")
            try session.send("l")
            step("filter back to all") { $0.joined().contains("4 of 4 listed  filter: all") }
            try session.send("/")
            try session.send("-l", "vm-b")
            try session.send("Enter")
            step("search selects vm-b") { Self.selected($0)?.contains("vm-b") == true }
            try session.send("Enter")
            step("vm-b's dashboard") { screen in
                let text = screen.joined(separator: "\n")
                return text.contains("vm vm-b") && text.contains("FAILED") && text.contains("q back to fleet")
            }
            try session.send("q")
            step("back in the fleet, vm-b still selected") { screen in
                screen.first?.contains("vmsnap fleet") == true && Self.selected(screen)?.contains("vm-b") == true
            }
            try session.send("q")
            let deadline = Date().addingTimeInterval(10)
            var exit = ""
            while Date() < deadline, !exit.hasSuffix("\n") {
                exit = (try? String(contentsOf: exitFile, encoding: .utf8)) ?? ""
                Thread.sleep(forTimeInterval: 0.1)
            }
            steps.append(Checkpoint(step: "q quits with 0", met: exit == "0\n", screen: session.capture()))
            return steps
        }
        for checkpoint in checkpoints {
            #expect(checkpoint.met, "\(checkpoint.step):\n\(checkpoint.screen.joined(separator: "\n"))")
            #expect(!checkpoint.screen.joined().contains("sig="), "no signature on screen")
        }
        #expect(checkpoints.count == 9)
    }

    /// Runs blocking work (tmux waits sleep) on its own thread, off the cooperative pool.
    private static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
