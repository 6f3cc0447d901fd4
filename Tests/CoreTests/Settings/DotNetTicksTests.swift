import Core
import Foundation
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

@Suite struct DotNetTicksTests {
    @Test func integerAndScientificNotation() {
        let expected = ISO8601DateFormatter().date(from: "2017-11-09T04:53:20Z")
        #expect(DotNetTicks.date(from: "636458000000000000") == expected)
        #expect(DotNetTicks.date(from: "6.36458E+17") == expected)
        #expect(DotNetTicks.date(from: "6.36458e17") == expected)
        #expect(DotNetTicks.date(from: "621355968000000000") == Date(timeIntervalSince1970: 0))
    }

    @Test func roundTripsThroughTicks() {
        let date = Date(timeIntervalSince1970: 1_764_040_026.5)
        #expect(DotNetTicks.date(ticks: DotNetTicks.ticks(of: date)) == date)
    }

    @Test func rejectsNonsense() {
        #expect(DotNetTicks.date(from: "soon") == nil)
        #expect(DotNetTicks.date(from: "-5") == nil)
        #expect(DotNetTicks.date(from: "9.9E+30") == nil)
        #expect(DotNetTicks.date(from: "") == nil)
    }
}
