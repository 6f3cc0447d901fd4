import Core
import Synchronization

/// A bounded record of the requests served, with signatures redacted, for tests to read.
final class RequestJournal: Sendable {
    private struct Ring {
        var entries: [JournalEntry] = []
        var next = 0
    }

    private let capacity: Int
    private let ring = Mutex(Ring())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func record(_ entry: JournalEntry) {
        ring.withLock { ring in
            if ring.entries.count < capacity {
                ring.entries.append(entry)
            } else {
                ring.entries[ring.next] = entry
                ring.next = (ring.next + 1) % capacity
            }
        }
    }

    /// Entries oldest first.
    var entries: [JournalEntry] {
        ring.withLock { Array($0.entries[$0.next...] + $0.entries[..<$0.next]) }
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
