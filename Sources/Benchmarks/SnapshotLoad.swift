import Core
import Emulator
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import TUI

/// `vmsnap bench emulator`: snapshot requests per second an in-process emulator serves on loopback to N
/// keep-alive connections of a small NIO client (bounded by a request count and a time limit).
public enum SnapshotLoad {
    /// What to run.
    public struct Options: Sendable {
        public var connections: Int
        public var requests: Int
        public var maxSeconds: Double
        public var serverThreads: Int
        public var clientThreads: Int

        public init(connections: Int, requests: Int, maxSeconds: Double, serverThreads: Int, clientThreads: Int) {
            self.connections = max(1, connections)
            self.requests = max(1, requests)
            self.maxSeconds = max(0.1, maxSeconds)
            self.serverThreads = max(1, serverThreads)
            self.clientThreads = max(1, clientThreads)
        }
    }

    /// What was measured.
    public struct Result: Sendable {
        public var requests: Int
        /// Answers with 201 Created.
        public var created: Int
        public var seconds: Double
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double

        public var perSecond: Double { seconds > 0 ? Double(requests) / seconds : 0 }
    }

    /// Starts an emulator (no snapshot count limit, small journal), drives it, stops it.
    public static func run(_ options: Options) async throws -> Result {
        let emulator = BlobEmulator(
            configuration: EmulatorConfiguration(
                snapshotLimit: .max, journalCapacity: 1024, threads: options.serverThreads))
        let port = try await emulator.start()
        let blobs = (0..<options.connections).map { "disk\($0)" }
        for blob in blobs { emulator.createPageBlob(container: "bench", blob: blob, size: 1 << 20) }
        let paths = blobs.map { blob in
            let uri = emulator.sasURI(container: "bench", blob: blob, permissions: "rcw")
            return String(uri.dropFirst(emulator.baseURL.count)) + "&comp=snapshot"
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.clientThreads)
        do {
            let result = try await drive(group: group, port: port, paths: paths, options: options)
            try await group.shutdownGracefully()
            try await emulator.stop()
            return result
        } catch {
            try? await group.shutdownGracefully()
            try? await emulator.stop()
            throw error
        }
    }

    private static func drive(group: MultiThreadedEventLoopGroup, port: Int, paths: [String], options: Options)
        async throws -> Result
    {
        let budget = RequestBudget(requests: options.requests, seconds: options.maxSeconds)
        let started = NIODeadline.now()
        var futures: [EventLoopFuture<ConnectionStats>] = []
        for path in paths {
            let promise = group.any().makePromise(of: ConnectionStats.self)
            let host = "127.0.0.1:\(port)"
            let connect = ClientBootstrap(group: group)
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            LoadHandler(path: path, host: host, budget: budget, done: promise))
                    }
                }
                .connect(host: "127.0.0.1", port: port)
            connect.whenFailure { promise.fail($0) }
            futures.append(promise.futureResult)
        }
        var latencies: [Int64] = []
        var created = 0
        for future in futures {
            let stats = try await future.get()
            latencies += stats.latencies
            created += stats.created
        }
        let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        latencies.sort()
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1e6
        }
        return Result(
            requests: latencies.count, created: created, seconds: seconds, p50Milliseconds: percentile(0.5),
            p99Milliseconds: percentile(0.99))
    }
}

/// Requests left to send, shared by every connection, and the time limit.
private final class RequestBudget: Sendable {
    private let remaining: Atomic<Int>
    private let deadline: NIODeadline

    init(requests: Int, seconds: Double) {
        remaining = Atomic(requests)
        deadline = .now() + .nanoseconds(Int64(seconds * 1e9))
    }

    /// Claims one request; false when the count or the time is used up.
    func take() -> Bool {
        guard NIODeadline.now() < deadline else { return false }
        return remaining.subtract(1, ordering: .relaxed).newValue >= 0
    }
}

/// One connection's measurements.
private struct ConnectionStats: Sendable {
    var latencies: [Int64] = []
    var created = 0
}

/// Sends a snapshot request, waits for its answer, sends the next, until the budget is spent.
private final class LoadHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let budget: RequestBudget
    private let done: EventLoopPromise<ConnectionStats>
    private var stats = ConnectionStats()
    private var sentAt = NIODeadline.now()
    private var status = 0
    private var finished = false

    init(path: String, host: String, budget: RequestBudget, done: EventLoopPromise<ConnectionStats>) {
        head = HTTPRequestHead(
            version: .http1_1, method: .PUT, uri: path,
            headers: ["Host": host, "Content-Length": "0", "User-Agent": "vmsnap-bench"])
        self.budget = budget
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        sendNext(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response): status = Int(response.status.code)
        case .body: break
        case .end:
            stats.latencies.append((NIODeadline.now() - sentAt).nanoseconds)
            if status == 201 { stats.created += 1 }
            sendNext(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finished = true
        done.fail(error)
        context.close(promise: nil)
    }

    private func sendNext(context: ChannelHandlerContext) {
        guard budget.take() else {
            finish()
            context.close(promise: nil)
            return
        }
        sentAt = .now()
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        done.succeed(stats)
    }
}
