import Basics
import Foundation

/// Where one request's time went, from libcurl's timing info: name lookup, TCP connect, TLS handshake, waiting for
/// the first byte of the answer, and the rest of the transfer. Phases a reused connection skipped are zero.
public struct TransferTiming: Sendable, Equatable {
    /// Name resolution (`CURLINFO_NAMELOOKUP_TIME_T`).
    public var nameLookup: Duration
    /// TCP connect after the lookup.
    public var tcpConnect: Duration
    /// TLS handshake after the TCP connect (zero without TLS).
    public var tlsHandshake: Duration
    /// From the request being ready to send to the first byte of the answer.
    public var firstByte: Duration
    /// From start to the last byte.
    public var total: Duration

    public init(
        nameLookup: Duration = .zero, tcpConnect: Duration = .zero, tlsHandshake: Duration = .zero,
        firstByte: Duration = .zero, total: Duration = .zero
    ) {
        self.nameLookup = nameLookup
        self.tcpConnect = tcpConnect
        self.tlsHandshake = tlsHandshake
        self.firstByte = firstByte
        self.total = total
    }

    /// From libcurl's cumulative microsecond marks (each counted from the transfer's start).
    init(nameLookup: Int64, connect: Int64, appConnect: Int64, preTransfer: Int64, startTransfer: Int64, total: Int64) {
        func span(_ from: Int64, _ to: Int64) -> Duration { .microseconds(max(0, to - from)) }
        self.nameLookup = .microseconds(max(0, nameLookup))
        tcpConnect = span(nameLookup, connect)
        // APPCONNECT is 0 without TLS.
        tlsHandshake = appConnect > 0 ? span(connect, appConnect) : .zero
        firstByte = span(preTransfer, startTransfer)
        self.total = .microseconds(max(0, total))
    }

    /// Name lookup + TCP connect + TLS handshake.
    public var connectionSetup: Duration { nameLookup + tcpConnect + tlsHandshake }
}

/// What a blob client has sent so far: the requests and the connections they opened.
public struct BlobClientStatistics: Sendable {
    /// One request that opened a connection.
    public struct Connection: Sendable {
        public var timing: TransferTiming
        /// Whether the TLS handshake resumed an earlier session (nil: no TLS).
        public var tlsSessionResumed: Bool?
    }

    /// Requests libcurl carried out (answered or not), by method.
    public var requests: [String: Int] = [:]
    /// Every new connection, in the order their requests ended.
    public var connections: [Connection] = []

    /// Requests of every method.
    public var totalRequests: Int { requests.values.reduce(0, +) }
}
