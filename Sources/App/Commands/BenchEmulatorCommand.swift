import ArgumentParser
import Benchmarks
import Emulator
import NIOCore

/// `vmsnap bench emulator`: snapshot requests per second on loopback with keep-alive connections.
struct BenchEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Measure snapshot requests per second the emulator serves on loopback (target: 5,000/s on 2 cores).")

    @Option(help: "Concurrent keep-alive connections (one page blob each).") var connections = 64
    @Option(help: "Snapshot requests to send in total.") var requests = 50_000
    @Option(help: "Stop after this many seconds even if requests remain.") var maxSeconds = 30.0
    @Option(help: "Emulator event loop threads (default: all cores).") var serverThreads = System.coreCount
    @Option(help: "Load client event loop threads.") var clientThreads = 1

    func validate() throws {
        guard (1...1024).contains(connections) else { throw ValidationError("--connections: expected 1...1024") }
        guard (1...10_000_000).contains(requests) else { throw ValidationError("--requests: expected 1...10000000") }
        guard maxSeconds > 0, maxSeconds <= 600 else { throw ValidationError("--max-seconds: expected 0 < s <= 600") }
    }

    func run() async throws {
        let result = try await SnapshotLoad.run(
            SnapshotLoad.Options(
                connections: connections, requests: requests, maxSeconds: maxSeconds, serverThreads: serverThreads,
                clientThreads: clientThreads))
        let rate = Int(result.perSecond.rounded())
        print(
            "emulator snapshot throughput: \(rate) requests/s (\(result.requests) requests in "
                + String(format: "%.2f", result.seconds) + " s; \(connections) keep-alive connections on loopback; "
                + "\(result.created) answered 201; latency p50 " + String(format: "%.2f", result.p50Milliseconds)
                + " ms, p99 " + String(format: "%.2f", result.p99Milliseconds) + " ms; "
                + "server threads \(serverThreads), client threads \(clientThreads), cores \(System.coreCount))")
        if result.created != result.requests {
            throw ValidationError("\(result.requests - result.created) snapshot requests did not answer 201")
        }
    }
}
