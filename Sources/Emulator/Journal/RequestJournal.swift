import Basics
import Foundation
import NIOCore
import Synchronization

/// A request as recorded on the hot path; redaction happens when the journal is read.
struct RecordedRequest: Sendable {
    var time: Date
    var method: String
    var uri: String
    var operation: BlobOperation?
    var headers: [(name: String, value: String)]
    var status: Int
    var errorCode: String?
    var requestID: String
    var fault: String?
    /// The body of a host call (its secrets already replaced).
    var body: String?

    /// Longest URI and header value kept (a request may carry megabytes of either).
    static let longestText = 4096
    /// Most headers kept per request.
    static let mostHeaders = 64

    /// The request cut to what a journal keeps: the URI and header values to `longestText`, `mostHeaders` headers.
    func bounded() -> RecordedRequest {
        var copy = self
        copy.uri = String(uri.prefix(Self.longestText))
        copy.body = body.map { String($0.prefix(Self.longestText)) }
        copy.headers = headers.prefix(Self.mostHeaders).map { ($0.name, String($0.value.prefix(Self.longestText))) }
        return copy
    }

    /// About how many bytes the entry holds.
    var bytes: Int {
        256 + uri.utf8.count + (body?.utf8.count ?? 0)
            + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 }
    }

    /// The entry tests see: path and headers with signatures redacted.
    var redacted: JournalEntry {
        JournalEntry(
            time: time, method: method, path: Redactor.redact(uri), operation: operation,
            headers: RequestJournal.redactedHeaders(headers), status: status, errorCode: errorCode,
            requestID: requestID, fault: fault, body: body.map(Redactor.redact))
    }
}

/// A record of the requests served, bounded by count and by bytes (oldest dropped first), with signatures
/// redacted when read, for tests to read.
final class RequestJournal: Sendable {
    private struct Ring {
        var entries = CircularBuffer<RecordedRequest>()
        var bytes = 0
    }

    private let capacity: Int
    private let maximumBytes: Int
    private let ring = Mutex(Ring())

    /// - Parameter maximumBytes: about how much memory the entries may take (64 MiB by default).
    init(capacity: Int, maximumBytes: Int = 64 << 20) {
        self.capacity = max(1, capacity)
        self.maximumBytes = maximumBytes
    }

    func record(_ entry: RecordedRequest) {
        let entry = entry.bounded()
        let size = entry.bytes
        ring.withLock { ring in
            ring.entries.append(entry)
            ring.bytes += size
            while ring.entries.count > capacity || (ring.bytes > maximumBytes && ring.entries.count > 1) {
                ring.bytes -= ring.entries.removeFirst().bytes
            }
        }
    }

    /// Entries oldest first, redacted.
    var entries: [JournalEntry] {
        ring.withLock { Array($0.entries) }.map(\.redacted)
    }

    /// About how many bytes the entries hold.
    var bytes: Int { ring.withLock { $0.bytes } }

    func clear() { ring.withLock { $0 = Ring() } }

    /// Headers as the journal keeps them: lowercased names, Shared Key signatures and SAS sigs redacted.
    static func redactedHeaders(_ headers: some Sequence<(name: String, value: String)>) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            var safe = Redactor.redact(value)
            if lower == "authorization", let colon = safe.lastIndex(of: ":") {
                safe = String(safe[...colon]) + Redactor.placeholder
            }
            // Azure Disk Encryption's key reference rides on snapshot requests: never shown.
            if lower == "x-ms-meta-diskencryptionsettings" { safe = Redactor.placeholder }
            result[lower] = result[lower].map { "\($0), \(safe)" } ?? safe
        }
        return result
    }
}
