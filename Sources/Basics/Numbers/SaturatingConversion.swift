import Foundation

extension Int {
    /// `value` rounded toward zero and clamped to `Int`'s range, 0 for NaN: the conversion for numbers that come
    /// from input (documents, settings, servers), where `Int(_:)` of a Double would trap on NaN, infinity or 1e30.
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= Double(Int.max) {
            self = .max
        } else if value <= Double(Int.min) {
            self = .min
        } else {
            self.init(value)
        }
    }
}

extension Date {
    /// Seconds since 1970 of the earliest and latest moments a document may name (0001-01-01 to 9999-12-31):
    /// wider is no time of any job, and arithmetic on it (days, clock fields, time-zone offsets) could overflow.
    public static let plausibleSecondsSince1970: ClosedRange<Double> = -62_135_596_800...253_402_300_799.999

    /// The date for `seconds` since 1970 when it is finite and inside `plausibleSecondsSince1970`, else nil.
    public init?(plausibleSecondsSince1970 seconds: Double) {
        guard seconds.isFinite, Self.plausibleSecondsSince1970.contains(seconds) else { return nil }
        self.init(timeIntervalSince1970: seconds)
    }

    /// Whole seconds since 1970 clamped to the plausible range (a date made in code can still be anything).
    public var plausibleWholeSecondsSince1970: Int {
        let range = Self.plausibleSecondsSince1970
        let seconds = timeIntervalSince1970.isNaN ? 0 : timeIntervalSince1970
        return Int(saturating: floor(Swift.min(Swift.max(seconds, range.lowerBound), range.upperBound)))
    }
}
