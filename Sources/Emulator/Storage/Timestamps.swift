import Foundation

/// Fast UTC time formats the Blob service speaks: snapshot times (100 ns), SAS times and HTTP dates.
enum Timestamps {
    /// Ticks of 100 ns since 1970, the resolution of `x-ms-snapshot`.
    static func nowTicks() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 10_000_000 + Int64(spec.tv_nsec) / 100
    }

    /// `2017-11-09T14:23:28.1234567Z`.
    static func snapshotString(ticks: Int64) -> String {
        let seconds = ticks / 10_000_000
        let fraction = String(ticks % 10_000_000)
        let padded = String(repeating: "0", count: 7 - fraction.count) + fraction
        var text = iso8601Seconds(seconds)
        text.removeLast()
        return text + "." + padded + "Z"
    }

    /// `2017-11-09T14:23:28Z`.
    static func iso8601Seconds(_ seconds: Int64) -> String {
        let t = brokenDown(seconds)
        return "\(t.year)-\(two(t.month))-\(two(t.day))T\(two(t.hour)):\(two(t.minute)):\(two(t.second))Z"
    }

    /// `Thu, 09 Nov 2017 14:23:28 GMT`.
    static func httpDate(_ seconds: Int64) -> String {
        let t = brokenDown(seconds)
        let weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][t.weekday]
        let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][t.month - 1]
        return "\(weekday), \(two(t.day)) \(month) \(t.year) \(two(t.hour)):\(two(t.minute)):\(two(t.second)) GMT"
    }

    /// Parses a SAS time in every form the Blob service accepts, on its own (the emulator checks clients
    /// independently of vmsnap's parser): `YYYY-MM-DD`, `YYYY-MM-DDThh:mmTZD`, `YYYY-MM-DDThh:mm:ss[.f*]TZD`, where
    /// TZD is `Z` or `+hh:mm`/`-hh:mm`.
    static func parseSASTime(_ text: String) -> Date? {
        let u = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= u.count else { return nil }
            var value = 0
            for b in u[from..<(from + count)] {
                guard b >= 48, b <= 57 else { return nil }
                value = value * 10 + Int(b - 48)
            }
            return value
        }
        guard u.count >= 10, u[4] == 45, u[7] == 45, let year = number(0, 4), let month = number(5, 2),
            let day = number(8, 2), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        guard u.count > 10 else { return Date(timeIntervalSince1970: Double(timegm(&parts))) }
        guard u.count >= 17, u[10] == 84, u[13] == 58, let hour = number(11, 2), let minute = number(14, 2),
            hour < 24, minute < 60
        else { return nil }
        var i = 16
        var second = 0
        var fraction = 0.0
        if u[i] == 58 {
            guard let s = number(i + 1, 2), s < 61 else { return nil }
            second = s
            i += 3
            if i < u.count, u[i] == 46 {
                i += 1
                let start = i
                while i < u.count, u[i] >= 48, u[i] <= 57 { i += 1 }
                // Digits past the ninth are below a nanosecond: checked, not added up (they could overflow Int).
                let kept = min(i - start, 9)
                guard kept > 0, let digits = number(start, kept) else { return nil }
                fraction = Double(digits) / pow(10, Double(kept))
            }
        }
        var offset = 0
        if i == u.count - 1, u[i] == 90 {
            offset = 0
        } else if i == u.count - 6, u[i] == 43 || u[i] == 45, u[i + 3] == 58, let h = number(i + 1, 2),
            let m = number(i + 4, 2), h < 24, m < 60
        {
            offset = (h * 3600 + m * 60) * (u[i] == 45 ? -1 : 1)
        } else {
            return nil
        }
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Date(timeIntervalSince1970: Double(timegm(&parts)) - Double(offset) + fraction)
    }

    /// Parses `Thu, 09 Nov 2017 14:23:28 GMT` to seconds since 1970.
    static func parseHTTPDate(_ text: String) -> Int64? {
        let fields = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard fields.count == 6, fields[5] == "GMT", let day = Int32(fields[1]),
            let month = months.firstIndex(of: String(fields[2])), let year = Int32(fields[3])
        else { return nil }
        let clock = fields[4].split(separator: ":").compactMap { Int32($0) }
        guard clock.count == 3 else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = Int32(month)
        parts.tm_mday = day
        parts.tm_hour = clock[0]
        parts.tm_min = clock[1]
        parts.tm_sec = clock[2]
        return Int64(timegm(&parts))
    }

    private struct Parts {
        var year, month, day, hour, minute, second, weekday: Int
    }

    private static func brokenDown(_ seconds: Int64) -> Parts {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return Parts(
            year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
            hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec),
            weekday: Int(parts.tm_wday))
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
