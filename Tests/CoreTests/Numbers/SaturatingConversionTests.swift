import Core
import Foundation
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// Every conversion of an input-derived Double to an integer, and the date arithmetic on it, at the values that
/// trapped: NaN, infinities, 1e30 and beyond.
@Suite struct SaturatingConversionTests {
    static let hostile: [Double] = [.nan, .infinity, -.infinity, 1e30, -1e30, 1e300, Double(Int.max), -Double(Int.max)]

    @Test func saturatingIntClampsAndMapsNaNToZero() {
        #expect(Int(saturating: .nan) == 0)
        #expect(Int(saturating: .infinity) == .max)
        #expect(Int(saturating: -.infinity) == .min)
        #expect(Int(saturating: 1e30) == .max)
        #expect(Int(saturating: Double(Int.max)) == .max)
        #expect(Int(saturating: -Double(Int.max)) == .min)
        #expect(Int(saturating: -2.9) == -2)
        #expect(Int(saturating: 42.99) == 42)
    }

    @Test func plausibleDatesOnly() {
        #expect(Date(plausibleSecondsSince1970: 1e30) == nil)
        #expect(Date(plausibleSecondsSince1970: .nan) == nil)
        #expect(Date(plausibleSecondsSince1970: 0) == Date(timeIntervalSince1970: 0))
        #expect(Date(timeIntervalSince1970: 1e30).plausibleWholeSecondsSince1970 == 253_402_300_799)
        #expect(Date(timeIntervalSince1970: -1e30).plausibleWholeSecondsSince1970 == -62_135_596_800)
    }

    /// Each site that turned a Double from input into an integer.
    @Test(arguments: hostile) func noSiteTraps(_ value: Double) throws {
        let date = Date(timeIntervalSince1970: value)
        _ = SourceFreshness.age(value)
        _ = SourceFreshness.clock(date, zone: .local)
        _ = SourceFreshness.clock(date, zone: .utc)
        _ = ClockZone.local.secondsFromGMT(for: date)
        _ = ClockZone.local.abbreviation(for: date)
        _ = ValidationReport.interval(value)
        var freshness = SourceFreshness(name: "status blob", staleAfter: 10)
        freshness.recordSuccess(at: date)
        #expect(!freshness.summary(now: Date(), zone: .local).isEmpty)
        let report = StatusReport(
            job: JobSnapshot(origin: .statusBlob, status: "success", freezeWindowSeconds: value),
            sources: [freshness], generatedAt: date)
        #expect(!report.text(zone: .local).isEmpty)
        #expect(try JSONSerialization.jsonObject(with: report.json()) is [String: Any])
    }

    @Test func ageAndIntervalSaturate() {
        #expect(SourceFreshness.age(1e30) == "\(Int.max / 86_400) d")
        #expect(SourceFreshness.age(.nan) == "0 s")
        #expect(ValidationReport.interval(.infinity).hasSuffix("h"))
    }
}
