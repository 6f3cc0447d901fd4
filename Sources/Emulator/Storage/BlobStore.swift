import Foundation
import Synchronization

/// The emulator's in-memory storage, guarded by one lock, optionally saved to and loaded from a directory.
final class BlobStore: Sendable {
    private let state: Mutex<StoreState>

    init(state: StoreState = StoreState()) {
        self.state = Mutex(state)
    }

    /// Runs `body` with exclusive access to the store.
    func access<T>(_ body: (inout StoreState) throws(ServiceError) -> T) throws(ServiceError) -> T {
        try state.withLock { (state: inout StoreState) throws(ServiceError) -> T in try body(&state) }
    }

    /// Runs `body` with exclusive access, for changes that cannot fail.
    func update<T>(_ body: (inout StoreState) -> T) -> T {
        state.withLock { body(&$0) }
    }

    /// The file the store lives in under a data directory.
    static func file(in directory: String) -> URL {
        URL(fileURLWithPath: directory).appendingPathComponent("store.json")
    }

    /// Loads a saved store; an absent file gives an empty store.
    static func load(from directory: String) throws(EmulatorConfigurationError) -> StoreState {
        let url = file(in: directory)
        guard FileManager.default.fileExists(atPath: url.path) else { return StoreState() }
        do {
            return try JSONDecoder().decode(StoreState.self, from: Data(contentsOf: url))
        } catch let error as DecodingError {
            throw .invalid(path: url.path, field: Self.describe(error), expected: "a store saved by vmsnap emulator")
        } catch {
            throw .unreadable(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Saves the store atomically under `directory` (created if missing).
    func save(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let snapshot = update { $0 }
        try JSONEncoder().encode(snapshot).write(to: Self.file(in: directory), options: .atomic)
    }

    /// `$.a.b[2]: reason` for a decoding error.
    static func describe(_ error: DecodingError) -> String {
        let (path, reason): ([any CodingKey], String) =
            switch error {
            case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
                (c.codingPath, c.debugDescription)
            case .keyNotFound(let key, let c): (c.codingPath + [key], "missing")
            @unknown default: ([], "\(error)")
            }
        let text = path.reduce("$") { partial, key in
            key.intValue.map { "\(partial)[\($0)]" } ?? "\(partial).\(key.stringValue)"
        }
        return "\(text) (\(reason))"
    }
}
