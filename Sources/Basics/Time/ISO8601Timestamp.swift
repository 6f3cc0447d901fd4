import Foundation

/// Timestamps read without Foundation's formatters (which build a calendar in the current time zone and load ICU's
/// zone data): log lines come by the thousand, and SAS `st`/`se` are read whenever settings are.
package enum ISO8601Timestamp {
    /// `2026-11-25T21:04:05.123Z`: UTC with milliseconds, the form every machine output uses.
    package static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// ISO 8601 `2026-11-25T03:07:06[.fff](Z|+01:00)` without a formatter (no offset: UTC); nil for other forms.
    package static func parse(_ text: String) -> Date? {
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

    /// `YYYY-MM-DD` or `YYYY/MM/DD`, then `T` or a space, then `HH:MM:SS`: the fields and the date separator.
    package static func dateFields(_ b: [UInt8]) -> (fields: CivilTime, separator: UInt8)? {
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
package struct CivilTime {
    var year, month, day, hour, minute, second: Int

    /// Year, month, day of a day count since 1970-01-01 (the inverse of days-from-civil).
    package static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
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
    package func date(nanoseconds: Int, zone: ClockZone) -> Date? {
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
