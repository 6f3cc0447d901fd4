import Foundation
import Testing

@testable import Emulator

/// The emulator reads SAS times on its own, in every form the Blob service accepts.
@Suite struct SASTimeTests {
    private func seconds(_ text: String) -> Double? { Timestamps.parseSASTime(text)?.timeIntervalSince1970 }

    @Test func everyAcceptedForm() {
        #expect(seconds("2026-11-25") == 1_795_564_800)
        #expect(seconds("2026-11-25T03:07Z") == 1_795_576_020)
        #expect(seconds("2026-11-25T03:07:06Z") == 1_795_576_026)
        #expect(seconds("2026-11-25T03:07:06.5Z") == 1_795_576_026.5)
        #expect(seconds("2026-11-25T04:07:06+01:00") == 1_795_576_026)
        #expect(seconds("2026-11-25T02:07-01:00") == 1_795_576_020)
        #expect(
            seconds("2026-11-25T03:07:06.1234567890123456789012Z").map { abs($0 - 1_795_576_026.123456789) < 1e-6 }
                == true)
    }

    @Test func malformedTimesAreRefused() {
        for text in [
            "", "2026-11-25T03:07:06", "2026-13-01", "2026-11-25T25:00Z", "2026-11-25T03:07:06.Z",
            "2026-11-25 03:07:06Z", "2026-11-25T03:07:06+0100", "20261125",
        ] {
            #expect(Timestamps.parseSASTime(text) == nil, "\(text)")
        }
    }
}
