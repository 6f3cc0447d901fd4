import Core
import Foundation

/// Why a knob file could not be read or written.
public struct KnobFileError: Error, CustomStringConvertible {
    public var description: String
}

/// The kernel's real `rcu_expedited` knob, for tests that let the freeze guard hold it.
public enum RCUExpeditedKnob {
    /// The knob's path.
    public static var path: String { GuardedFreezer.defaultRCUExpeditedPath }

    /// The knob's value, trimmed.
    public static func read() throws -> String {
        try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The knob's value once no concurrent freeze holds it changed: rereads a few times, 50 ms apart, while it
    /// differs from `expected` (a guard holds it for milliseconds; one that leaves it changed still shows).
    public static func settledValue(expecting expected: String) throws -> String {
        var value = try read()
        for _ in 0..<5 where value != expected {
            Thread.sleep(forTimeInterval: 0.05)
            value = try read()
        }
        return value
    }
}

/// Remembers the real knob's value when made and, when released, writes 0 back if it was 0 and is not any more:
/// a suite that keeps one per test never leaves the machine with expedited grace periods, even when a test fails.
public final class RCUExpeditedKnobKeeper: Sendable {
    /// The knob's value when the keeper was made.
    public let original: String

    public init() throws { original = try RCUExpeditedKnob.read() }

    deinit {
        if original == "0", (try? RCUExpeditedKnob.read()) != "0" {
            try? Data("0\n".utf8).write(to: URL(fileURLWithPath: RCUExpeditedKnob.path))
        }
    }
}

/// A stand-in for the knob: a temporary file with a value and an old modification time, so a test can tell
/// whether the guard wrote to it at all.
public final class TemporaryKnobFile: Sendable {
    /// The file's path.
    public let path: String
    private static let oldModification = Date(timeIntervalSince1970: 1_000_000_000)

    /// Creates the file holding `value` and a newline, under `directory` (default: the temporary directory).
    public init(value: String, directory: String = NSTemporaryDirectory()) throws {
        path = directory + "/vmsnap-rcu-knob-\(UUID().uuidString)"
        try Data((value + "\n").utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.modificationDate: Self.oldModification], ofItemAtPath: path)
    }

    /// The file's value, trimmed.
    public func value() throws -> String {
        try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether anything was written to the file since it was created.
    public func written() throws -> Bool {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        guard let modified = attributes[.modificationDate] as? Date else {
            throw KnobFileError(description: "no modification date for \(path)")
        }
        return modified != Self.oldModification
    }

    /// Deletes the file.
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
