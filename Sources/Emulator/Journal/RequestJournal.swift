import Basics
import Foundation
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

    /// The entry tests see: path and headers with signatures redacted.
    var redacted: JournalEntry {
        JournalEntry(
            time: time, method: method, path: Redactor.redact(uri), operation: operation,
            headers: RequestJournal.redactedHeaders(headers), status: status, errorCode: errorCode,
            requestID: requestID, fault: fault)
    }
}

/// A bounded record of the requests served, with signatures redacted when read, for tests to read.
final class RequestJournal: Sendable {
    private struct Ring {
        var entries: [RecordedRequest] = []
        var next = 0
    }

    private let capacity: Int
    private let ring = Mutex(Ring())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func record(_ entry: RecordedRequest) {
        ring.withLock { ring in
            if ring.entries.count < capacity {
                ring.entries.append(entry)
            } else {
                ring.entries[ring.next] = entry
                ring.next = (ring.next + 1) % capacity
            }
        }
    }

    /// Entries oldest first, redacted.
    var entries: [JournalEntry] {
        ring.withLock { Array($0.entries[$0.next...] + $0.entries[..<$0.next]) }.map(\.redacted)
    }

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
            result[lower] = result[lower].map { "\($0), \(safe)" } ?? safe
        }
        return result
    }
}
