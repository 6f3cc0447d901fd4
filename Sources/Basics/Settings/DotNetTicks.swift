import Foundation

/// .NET ticks (100 ns units since 0001-01-01T00:00:00Z), the form of `commandStartTimeUTCTicks`.
public enum DotNetTicks {
    /// Ticks at 1970-01-01T00:00:00Z.
    public static let unixEpoch: Int64 = 621_355_968_000_000_000
    /// Ticks at 9999-12-31T23:59:59.9999999Z, the largest .NET date.
    public static let maximum: Int64 = 3_155_378_975_999_999_999

    /// Converts ticks written as an integer (`636458000000000000`) or in scientific notation (`6.36458E+17`)
    /// to a UTC date; nil when the text is neither or lies outside 0001..9999.
    public static func date(from text: String) -> Date? {
        let trimmed = text.trimming(.whitespaces)
        if let ticks = Int64(trimmed) { return date(ticks: ticks) }
        guard trimmed.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }),
            let value = Double(trimmed), value.isFinite, value >= 0, value <= Double(maximum)
        else { return nil }
        return date(ticks: Int64(value.rounded()))
    }

    /// Converts a tick count to a date; nil when negative or beyond year 9999.
    public static func date(ticks: Int64) -> Date? {
        guard ticks >= 0, ticks <= maximum else { return nil }
        let offset = ticks - unixEpoch
        return Date(timeIntervalSince1970: Double(offset / 10_000_000) + Double(offset % 10_000_000) / 1e7)
    }

    /// The ticks of a date (whole 100 ns units).
    public static func ticks(of date: Date) -> Int64 {
        unixEpoch + Int64((date.timeIntervalSince1970 * 1e7).rounded())
    }
}
