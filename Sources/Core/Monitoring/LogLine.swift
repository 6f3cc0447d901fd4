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
    public static func parse(_ text: String, truncated: Bool = false, localTimeZone: TimeZone = .current) -> LogLine {
        let line = Redactor.redact(text)
        let bytes = Array(line.utf8.prefix(32))
        guard bytes.count >= 19, let date = dateFields(bytes) else {
            return LogLine(timestamp: nil, source: nil, level: level(of: line), message: line, truncated: truncated)
        }
        var rest = Substring(line).dropFirst(19)
        var zone: TimeZone? = date.separator == UInt8(ascii: "/") ? localTimeZone : nil
        var nanos = 0
        if rest.first == "." {
            let digits = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
            let padded = (digits.prefix(9) + String(repeating: "0", count: max(0, 9 - digits.count)))
            nanos = Int(padded) ?? 0
            rest = rest.dropFirst(1 + digits.count)
        }
        if rest.first == "Z" {
            zone = nil
            rest = rest.dropFirst()
        }
        let timestamp = date.fields.date(nanoseconds: nanos, timeZone: zone)
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

    private static func dateFields(_ b: [UInt8]) -> (fields: CivilTime, separator: UInt8)? {
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        let separator = b[4]
        guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: "/"), b[7] == separator,
            b[10] == UInt8(ascii: " ") || b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"),
            b[16] == UInt8(ascii: ":"), let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        return (
            CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second), separator
        )
    }
}

/// A calendar date and wall-clock time, turned into a `Date` without a `Calendar` (log lines come by the
/// thousand; days-from-civil arithmetic is exact for the proleptic Gregorian calendar).
struct CivilTime {
    var year, month, day, hour, minute, second: Int

    /// The moment this wall-clock time names in `timeZone` (nil: UTC).
    func date(nanoseconds: Int, timeZone: TimeZone?) -> Date? {
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let local = Double(days * 86_400 + hour * 3600 + minute * 60 + second) + Double(nanoseconds) / 1e9
        guard let timeZone else { return Date(timeIntervalSince1970: local) }
        let guess = Date(timeIntervalSince1970: local)
        let offset = timeZone.secondsFromGMT(
            for: guess.addingTimeInterval(-Double(timeZone.secondsFromGMT(for: guess))))
        return Date(timeIntervalSince1970: local - Double(offset))
    }
}
