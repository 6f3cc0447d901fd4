import Basics
import Engine
import Foundation

/// How fresh one data source is: when it last answered, since when it has been failing, and whether it is STALE.
public struct SourceFreshness: Sendable, Equatable {
    /// The source's name as the header shows it, e.g. "status blob".
    public var name: String
    /// A source not refreshed for this long is STALE.
    public var staleAfter: TimeInterval
    public private(set) var lastSuccess: Date?
    /// When the current run of failures started (nil while healthy).
    public private(set) var failingSince: Date?
    /// The last failure, e.g. "403 AuthenticationFailed" (redacted).
    public private(set) var lastError: String?

    public init(name: String, staleAfter: TimeInterval) {
        self.name = name
        self.staleAfter = staleAfter
    }

    /// The source answered.
    public mutating func recordSuccess(at date: Date) {
        lastSuccess = date
        failingSince = nil
        lastError = nil
    }

    /// The source failed; `message` is redacted here.
    public mutating func recordFailure(_ message: String, at date: Date) {
        if failingSince == nil { failingSince = date }
        lastError = Redactor.redact(message)
    }

    /// Whether the data shown from this source can no longer be trusted.
    public func isStale(now: Date) -> Bool {
        guard let lastSuccess else { return true }
        return failingSince != nil || now.timeIntervalSince(lastSuccess) > staleAfter
    }

    /// "status blob 3 s ago", "status blob: poll failing: 403 AuthenticationFailed since 10:02:11", with STALE;
    /// `errorLimit` shortens a long failure (a curl message) so that "since" and STALE still fit a header line.
    public func summary(now: Date, zone: ClockZone = .local, errorLimit: Int? = nil) -> String {
        var text: String
        if let failingSince, var lastError {
            if let errorLimit, lastError.count > errorLimit { lastError = lastError.prefix(errorLimit - 1) + "…" }
            text = "\(name): poll failing: \(lastError) since \(Self.clock(failingSince, zone: zone))"
        } else if let lastSuccess {
            text = "\(name) \(Self.age(now.timeIntervalSince(lastSuccess))) ago"
        } else {
            text = "\(name): no data yet"
        }
        if isStale(now: now) { text += " STALE" }
        return text
    }

    /// "3 s", "4 min", "2 h", "3 d" (any finite or infinite figure; negative reads as 0).
    public static func age(_ seconds: TimeInterval) -> String {
        let s = max(0, Int(saturating: seconds))
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min" }
        if s < 172_800 { return "\(s / 3600) h" }
        return "\(s / 86_400) d"
    }

    /// HH:mm:ss in the given time zone.
    public static func clock(_ date: Date, zone: ClockZone) -> String {
        let local = date.plausibleWholeSecondsSince1970 + zone.secondsFromGMT(for: date)
        let seconds = ((local % 86_400) + 86_400) % 86_400
        return twoDigits(seconds / 3600) + ":" + twoDigits(seconds / 60 % 60) + ":" + twoDigits(seconds % 60)
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}
