import Foundation
import TestSupport
import Testing

/// `vmsnap bench fleet` measures the poller alone: its emulator is a process of its own, started on a free port and
/// gone when the bench ends.
@Suite struct BenchFleetEndToEndTests {
    @Test func theFleetBenchReadsEveryVMFromAnEmulatorProcessItStopsAtTheEnd() async throws {
        let output = try await BuiltBinary.run(["bench", "fleet", "--vms", "20", "--cycles", "2", "--concurrency", "4"])
        #expect(output.status == 0, "\(output.stderr)")
        let cycles = output.stdout.split(separator: "\n").filter { $0.hasPrefix("cycle ") }
        #expect(cycles.count == 2)
        #expect(cycles.allSatisfy { $0.contains("20 requests") && $0.contains("20/20 rows SUCCEEDED") })
        #expect(cycles.last?.contains(" 0 new connections") == true, "the second cycle reuses the first's connections")
        #expect(output.stdout.contains("VmHWM of the fleet process; the emulator runs apart"))
        // The emulator child was reaped: no process started as the bench starts it is left.
        let listing = try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap(Int32.init)
        let emulators = listing.filter { pid in
            let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            let arguments = String(decoding: cmdline, as: UTF8.self).split(separator: "\0").map(String.init)
            return arguments.contains("serve") && arguments.contains("status") && arguments.contains("--container")
                && arguments.first == "/proc/self/exe"
        }
        #expect(emulators.isEmpty, "the bench's emulator process \(emulators) outlived it")
    }
}
