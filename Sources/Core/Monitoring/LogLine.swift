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
        guard bytes.count >= 19, let date = dateFields(bytes) else {
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

    /// ISO 8601 `2026-11-25T03:07:06[.fff](Z|+01:00)` without a formatter (no offset: UTC); nil for other forms.
    static func isoDate(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 19, b[10] == UInt8(ascii: "T"), let date = dateFields(b), date.separator == UInt8(ascii: "-")
        else { return nil }
        var i = 19
        var nanos = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int(b[i] - 48) }
                digits += 1
                i += 1
            }
            for _ in min(digits, 9)..<9 { nanos *= 10 }
        }
        var offset = 0
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard b.count - i == 6, let h = Int(String(decoding: b[(i + 1)...(i + 2)], as: UTF8.self)),
                let m = Int(String(decoding: b[(i + 4)...(i + 5)], as: UTF8.self))
            else { return nil }
            offset = (h * 3600 + m * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
        } else if i < b.count {
            guard b[i] == UInt8(ascii: "Z"), i == b.count - 1 else { return nil }
        }
        return date.fields.date(nanoseconds: nanos, zone: .utc)?.addingTimeInterval(-Double(offset))
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

    /// Year, month, day of a day count since 1970-01-01 (the inverse of days-from-civil).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The moment this wall-clock time names in `zone`.
    func date(nanoseconds: Int, zone: ClockZone) -> Date? {
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let local = Double(days * 86_400 + hour * 3600 + minute * 60 + second) + Double(nanoseconds) / 1e9
        return zone.moment(ofWallClock: local)
    }
}
