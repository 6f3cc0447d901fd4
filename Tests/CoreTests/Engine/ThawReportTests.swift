import Core
import Testing

@Suite struct ThawReportTests {
    /// Thaw failures read `mount: reason`, sorted by mount, whoever reports them (guard message or job log).
    @Test func failuresAreDescribedSortedByMount() {
        #expect(ThawReport.describe([:]).isEmpty)
        #expect(
            ThawReport.describe(["/var": "FITHAW failed: Invalid argument", "/": "FIFREEZE still blocked"])
                == ["/: FIFREEZE still blocked", "/var: FITHAW failed: Invalid argument"])
    }
}
