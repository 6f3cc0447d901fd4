import Foundation
import Synchronization

/// `x-ms-request-id` values: UUID-shaped, unique per process (a random base plus a counter), cheap to make.
enum RequestID {
    private static let base: String = {
        let uuid = UUID().uuidString.lowercased()
        return String(uuid.prefix(24))
    }()
    private static let counter = Atomic<UInt64>(0)

    static func next() -> String {
        let value = counter.add(1, ordering: .relaxed).newValue
        let hex = String(value, radix: 16)
        return base + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }
}
