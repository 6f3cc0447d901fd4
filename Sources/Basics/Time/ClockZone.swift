import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The time zone times are shown in (and local-time log lines are read in). `.local` asks the C library
/// (localtime_r), which costs nothing; Foundation's `TimeZone.current` would load ICU's zone data (~5 MB resident).
public enum ClockZone: Sendable, Equatable {
    case utc
    /// The system's local time.
    case local
    case fixed(TimeZone)

    /// Seconds east of UTC at `date`.
    public func secondsFromGMT(for date: Date) -> Int {
        switch self {
        case .utc: return 0
        case .fixed(let zone): return zone.secondsFromGMT(for: date)
        case .local:
            var seconds = time_t(date.plausibleWholeSecondsSince1970)
            var fields = tm()
            guard localtime_r(&seconds, &fields) != nil else { return 0 }
            return Int(fields.tm_gmtoff)
        }
    }

    /// A short name for the zone at `date`, e.g. "UTC", "CET".
    public func abbreviation(for date: Date) -> String {
        switch self {
        case .utc: return "UTC"
        case .fixed(let zone): return zone.abbreviation(for: date) ?? zone.identifier
        case .local:
            var seconds = time_t(date.plausibleWholeSecondsSince1970)
            var fields = tm()
            guard localtime_r(&seconds, &fields) != nil, let name = fields.tm_zone else { return "local" }
            return String(cString: name)
        }
    }

    /// The moment a wall-clock time in this zone names (the offset is looked up around that moment).
    func moment(ofWallClock seconds: Double) -> Date {
        let guess = Date(timeIntervalSince1970: seconds)
        let offset = secondsFromGMT(for: guess.addingTimeInterval(-Double(secondsFromGMT(for: guess))))
        return Date(timeIntervalSince1970: seconds - Double(offset))
    }
}
