import Foundation

/// Tells whether a file needs reading again: another path than last time, or a new modification time or size.
public final class FileChangeTracker {
    private var identity: String?

    public init() {}

    /// Whether `path` is another file than at the last call, or changed (or appeared) since; false when it does not
    /// exist.
    public func changed(_ path: String) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return false }
        let now =
            "\(path)|\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)|"
            + "\(attributes[.size] as? Int ?? 0)"
        defer { identity = now }
        return now != identity
    }

    /// Forgets the last look, so that the next call says changed (after a read that failed).
    public func forget() { identity = nil }
}
