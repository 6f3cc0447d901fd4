import Basics
import Foundation
import Synchronization

/// The extension's own log, `extension.log` in the handler's log folder, in the peer's line format
/// `YYYY-MM-DD HH:MM:SS.ffffff [<name>-<version>]message` (UTC). Every line is redacted and sanitised (control
/// characters shown as escapes, see `TerminalText`), the file is rotated by size,
/// and lines produced while filesystems are frozen stay in memory until `resume()` (writing to a frozen
/// filesystem would block). The lines of the current job are kept for the log blob upload.
public final class ExtensionLog: Sendable {
    /// The file name inside the log folder.
    public static let fileName = "extension.log"

    private struct State {
        var held: [String]?
        var jobLines: [String] = []
        /// How many job lines were dropped from the front (the sequence number of `jobLines[0]`).
        var droppedLines = 0
        var jobBytes = 0
        var writeFailure: String?
        /// The open log file (O_APPEND), -1 until the first write and after a rotation.
        var descriptor: FileDescriptor?
    }

    /// nil: lines are kept for the job only (no log folder).
    public let path: String?
    private let rotateAtBytes: Int
    private let keptRotations: Int
    private let maximumJobBytes: Int
    private let state = Mutex(State())

    /// - Parameters:
    ///   - directory: the log folder (created when missing); nil keeps lines in memory only.
    ///   - rotateAtBytes: the file is rotated to `extension.log.1` (older ones shifted) once it grows past this.
    ///   - keptRotations: how many rotated files survive.
    ///   - maximumJobBytes: cap on the job's lines kept for upload (older lines are dropped first).
    public init(
        directory: String?, rotateAtBytes: Int = 4 << 20, keptRotations: Int = 3, maximumJobBytes: Int = 2 << 20
    ) {
        if let directory {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            path = (directory as NSString).appendingPathComponent(Self.fileName)
        } else {
            path = nil
        }
        self.rotateAtBytes = rotateAtBytes
        self.keptRotations = keptRotations
        self.maximumJobBytes = maximumJobBytes
    }

    deinit {
        state.withLock { state in
            state.descriptor?.close()
        }
    }

    /// Formats, redacts and records one message; returns the line as written (without newline).
    @discardableResult
    public func write(_ message: String, at date: Date = Date()) -> String {
        let line = Self.format(Redactor.redact(message), at: date)
        state.withLock { state in
            state.jobLines.append(line)
            state.jobBytes += line.utf8.count + 1
            while state.jobBytes > maximumJobBytes, state.jobLines.count > 1 {
                state.jobBytes -= state.jobLines.removeFirst().utf8.count + 1
                state.droppedLines += 1
            }
            if state.held != nil {
                state.held!.append(line)
            } else {
                append([line], &state)
            }
        }
        return line
    }

    /// From now on lines stay in memory (filesystems are about to be frozen).
    public func hold() {
        state.withLock { state in
            if state.held == nil { state.held = [] }
        }
    }

    /// Writes the lines held since `hold()` and goes back to writing directly (filesystems are thawed).
    public func resume() {
        state.withLock { state in
            let held = state.held ?? []
            state.held = nil
            append(held, &state)
        }
    }

    /// The job's lines from sequence number `cursor` on (0 is the first line ever written; lines dropped by the cap
    /// are skipped), and the cursor after them.
    public func jobLines(from cursor: Int) -> (lines: [String], next: Int) {
        state.withLock { state in
            let start = max(cursor - state.droppedLines, 0)
            let lines = start < state.jobLines.count ? Array(state.jobLines[start...]) : []
            return (lines, state.droppedLines + state.jobLines.count)
        }
    }

    /// Whether lines are held in memory (filesystems are frozen).
    public var isHeld: Bool { state.withLock { $0.held != nil } }

    /// The current job's lines, newline-terminated: the log blob's content.
    public var jobLog: String { state.withLock { $0.jobLines.map { $0 + "\n" }.joined() } }

    /// The last error writing the file, if any (the log never throws at its callers).
    public var writeFailure: String? { state.withLock { $0.writeFailure } }

    /// `2026-11-25 03:07:00.032948 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.0]message`.
    public static func format(_ message: String, at date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        let micros = Int(((seconds - Double(whole)) * 1_000_000).rounded(.down))
        var parts = tm()
        gmtime_r(&whole, &parts)
        func digits(_ value: Int32, _ count: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, count - text.utf8.count)) + text
        }
        let stamp =
            "\(digits(parts.tm_year + 1900, 4))-\(digits(parts.tm_mon + 1, 2))-\(digits(parts.tm_mday, 2)) "
            + "\(digits(parts.tm_hour, 2)):\(digits(parts.tm_min, 2)):\(digits(parts.tm_sec, 2))."
            + digits(Int32(min(micros, 999_999)), 6)
        let oneLine =
            message.utf8.contains(UInt8(ascii: "\n")) ? message.replacingOccurrences(of: "\n", with: " | ") : message
        let singleLine = TerminalText.sanitize(oneLine)
        return "\(stamp) [\(ExtensionIdentity.name)-\(ExtensionIdentity.version)]\(singleLine)"
    }

    private func append(_ lines: [String], _ state: inout State) {
        guard let path, !lines.isEmpty else { return }
        if state.descriptor == nil {
            do {
                state.descriptor = try FileDescriptor.open(path, O_WRONLY | O_APPEND | O_CREAT)
            } catch {
                state.writeFailure = "cannot open \(path): \(SystemError.text(error.number))"
                return
            }
        }
        guard let descriptor = state.descriptor else { return }
        do {
            try descriptor.writeAll(lines.map { $0 + "\n" }.joined().utf8)
        } catch {
            state.writeFailure = "cannot write to \(path): \(SystemError.text(error.number))"
        }
        if let info = try? descriptor.status(), Int(info.st_size) >= rotateAtBytes {
            descriptor.close()
            state.descriptor = nil
            rotate(path)
        }
    }

    private func rotate(_ path: String) {
        for generation in stride(from: keptRotations - 1, through: 1, by: -1) {
            _ = rename("\(path).\(generation)", "\(path).\(generation + 1)")
        }
        if keptRotations > 0 { _ = rename(path, "\(path).1") } else { _ = unlink(path) }
    }
}
