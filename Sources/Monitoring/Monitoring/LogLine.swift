import Basics
import Engine
import Foundation

/// One line of extension.log, parsed from either peer format or ours.
public struct LogLine: Sendable, Equatable {
    /// How serious a line looks.
    public enum Level: Int, Sendable, Comparable, CaseIterable, Codable {
        case debug, info, warning, error

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        /// Short label for the pane.
        public var label: String {
            switch self {
            case .debug: "DBG"
            case .info: "INF"
            case .warning: "WRN"
            case .error: "ERR"
            }
        }
    }

    /// When the line was written, if it carried a timestamp.
    public var timestamp: Date?
    /// The bracketed source, e.g. `Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9184.0`.
    public var source: String?
    public var level: Level
    /// The message after the prefix (redacted), or the whole line when it had no known prefix.
    public var message: String
    /// Whether the line was cut because it exceeded the tailer's line limit.
    public var truncated: Bool

    public init(timestamp: Date?, source: String?, level: Level, message: String, truncated: Bool = false) {
        self.timestamp = timestamp
        self.source = source
        self.level = level
        self.message = message
        self.truncated = truncated
    }

    /// Parses `2026-11-25 03:07:00.032948 [Name-Version]message` (UTC), `2026/11/25 03:07:00 [...] message`
    /// (local time, older agents' logger) and ISO `2026-11-25T03:07:00.032Z LEVEL message` (ours).
    public static func parse(_ text: String, truncated: Bool = false, localZone: ClockZone = .local) -> LogLine {
        let line = Redactor.redact(text)
        let bytes = Array(line.utf8.prefix(32))
        guard bytes.count >= 19, let date = ISO8601Timestamp.dateFields(bytes) else {
            return LogLine(timestamp: nil, source: nil, level: level(of: line), message: line, truncated: truncated)
        }
        var rest = Substring(line).dropFirst(19)
        var zone: ClockZone = date.separator == UInt8(ascii: "/") ? localZone : .utc
        var nanos = 0
        if rest.first == "." {
            let digits = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
            let padded = (digits.prefix(9) + String(repeating: "0", count: max(0, 9 - digits.count)))
            nanos = Int(padded) ?? 0
            rest = rest.dropFirst(1 + digits.count)
        }
        if rest.first == "Z" {
            zone = .utc
            rest = rest.dropFirst()
        }
        let timestamp = date.fields.date(nanoseconds: nanos, zone: zone)
        rest = rest.drop { $0 == " " }
        var source: String?
        if rest.first == "[", let close = rest.firstIndex(of: "]") {
            source = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
        }
        var level = level(of: String(rest))
        for (word, explicit) in levelWords where rest.hasPrefix(word) {
            level = explicit
            rest = rest.dropFirst(word.count).drop { $0 == " " || $0 == ":" }
            break
        }
        return LogLine(timestamp: timestamp, source: source, level: level, message: String(rest), truncated: truncated)
    }

    private static let levelWords: [(String, Level)] = [
        ("ERROR", .error), ("[ERROR]", .error), ("WARNING", .warning), ("WARN", .warning), ("[WARNING]", .warning),
        ("INFO", .info), ("[INFO]", .info), ("DEBUG", .debug), ("[DEBUG]", .debug),
    ]

    /// Level guessed from words the peer uses (it writes no levels).
    private static func level(of text: String) -> Level {
        let lower = text.lowercased()
        if lower.contains("error") || lower.contains("failed") || lower.contains("exception")
            || lower.contains("traceback")
        {
            return .error
        }
        if lower.contains("warn") || lower.contains("retry") { return .warning }
        return .info
    }
}
