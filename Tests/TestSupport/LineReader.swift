import Foundation

/// Reads newline-terminated lines from a pipe as they arrive (blocking), e.g. a child's JSON events.
public final class LineReader {
    private let handle: FileHandle
    private var buffer = Data()

    public init(_ handle: FileHandle) { self.handle = handle }

    /// The next line without its newline; nil at EOF.
    public func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let chunk = handle.availableData
            guard !chunk.isEmpty else { return nil }
            buffer.append(chunk)
        }
    }

    /// Reads lines until one contains `text`; returns it, or nil at EOF.
    public func next(containing text: String) -> String? {
        while let line = next() {
            if line.contains(text) { return line }
        }
        return nil
    }
}
