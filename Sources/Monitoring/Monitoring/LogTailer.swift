import Basics
import Engine
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Follows extension.log from its end: opening costs the same for 1 KiB or 1 GiB, rotation (a new inode)
/// and truncation are followed, invalid UTF-8 is replaced and very long lines are cut.
public final class LogTailer {
    public let path: String
    /// How much of the file's end is read when it is first opened.
    public let initialBytes: Int
    /// Longest line kept; longer ones are cut and flagged.
    public let maxLineBytes: Int
    /// Most bytes read per `poll()`, so a log that grows by gigabytes cannot stall the caller.
    public let maxBytesPerPoll: Int

    private var descriptor: FileDescriptor?
    private var inode: UInt64 = 0
    private var offset: Int64 = 0
    private var pending: [UInt8] = []
    private var pendingTruncated = false
    /// Whether the first line after seeking into the middle of the file must be dropped.
    private var skipFirstPartialLine = false

    /// Notes about what happened (opened, rotated, truncated), for the freshness line.
    public private(set) var lastEvent: String = ""

    public init(
        path: String, initialBytes: Int = 256 * 1024, maxLineBytes: Int = 16 * 1024, maxBytesPerPoll: Int = 8 << 20
    ) {
        self.path = path
        self.initialBytes = initialBytes
        self.maxLineBytes = maxLineBytes
        self.maxBytesPerPoll = maxBytesPerPoll
    }

    deinit { closeDescriptor() }

    /// Whether the file is currently open.
    public var isOpen: Bool { descriptor != nil }

    /// Reads whatever was appended since the last call (the file's tail on the first call) as complete lines.
    /// Returns nil when the file does not exist (yet).
    public func poll() -> [LogLine]? {
        var lines: [LogLine] = []
        var current = stat()
        let exists = stat(path, &current) == 0
        if let descriptor, let opened = try? descriptor.status() {
            if exists, UInt64(current.st_ino) != inode {
                readAvailable(into: &lines)
                flushPending(into: &lines)
                closeDescriptor()
                lastEvent = "rotated"
            } else if Int64(opened.st_size) < offset {
                offset = 0
                pending.removeAll()
                pendingTruncated = false
                lastEvent = "truncated"
            }
        }
        if descriptor == nil {
            guard exists else { return lines.isEmpty ? nil : lines }
            let rotated = lastEvent == "rotated"
            guard open(fromStart: rotated) else { return lines.isEmpty ? nil : lines }
        }
        readAvailable(into: &lines)
        return lines
    }

    private func open(fromStart: Bool) -> Bool {
        guard let opened = try? FileDescriptor.open(path, O_RDONLY) else { return false }
        guard let info = try? opened.status() else {
            opened.close()
            return false
        }
        descriptor = opened
        inode = UInt64(info.st_ino)
        let size = Int64(info.st_size)
        offset = fromStart ? 0 : max(0, size - Int64(initialBytes))
        skipFirstPartialLine = offset > 0
        pending.removeAll()
        pendingTruncated = false
        if !fromStart { lastEvent = "opened" }
        return true
    }

    private func readAvailable(into lines: inout [LogLine]) {
        guard let descriptor else { return }
        var budget = maxBytesPerPoll
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while budget > 0 {
            let count = buffer.withUnsafeMutableBytes { raw in
                (try? descriptor.read(
                    at: offset, into: UnsafeMutableRawBufferPointer(rebasing: raw[..<min(raw.count, budget)]))) ?? 0
            }
            guard count > 0 else { break }
            offset += Int64(count)
            budget -= count
            consume(buffer[0..<count], into: &lines)
        }
    }

    private func consume(_ bytes: ArraySlice<UInt8>, into lines: inout [LogLine]) {
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            append(bytes[start..<newline])
            start = newline + 1
            if skipFirstPartialLine {
                skipFirstPartialLine = false
                pending.removeAll()
                pendingTruncated = false
                continue
            }
            flushPending(into: &lines)
        }
        append(bytes[start...])
    }

    private func append(_ bytes: ArraySlice<UInt8>) {
        let room = maxLineBytes - pending.count
        if bytes.count > room {
            pending.append(contentsOf: bytes.prefix(max(0, room)))
            pendingTruncated = true
        } else {
            pending.append(contentsOf: bytes)
        }
    }

    private func flushPending(into lines: inout [LogLine]) {
        guard !pending.isEmpty || pendingTruncated else { return }
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        let text = String(decoding: pending, as: UTF8.self)
        lines.append(LogLine.parse(text, truncated: pendingTruncated))
        pending.removeAll(keepingCapacity: true)
        pendingTruncated = false
    }

    private func closeDescriptor() {
        descriptor?.close()
        descriptor = nil
    }
}
