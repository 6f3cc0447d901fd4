import Core
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

@Suite struct SnapshotOutcomeTests {
    func disk(_ index: Int, _ state: DiskState, code: String? = nil, message: String? = nil) -> DiskProgress {
        var disk = DiskProgress(
            index: index, blobURI: "https://a/c/d\(index)", account: "a", container: "c", blob: "d\(index)",
            state: state)
        disk.errorCode = code
        disk.errorMessage = message
        return disk
    }

    @Test func codesFollowTheErrorTable() {
        #expect(SnapshotOutcome.classify([disk(0, .succeeded)], clientFailure: false) == nil)
        let all = SnapshotOutcome.classify([disk(0, .failed), disk(1, .failed)], clientFailure: false)
        #expect(all?.code == 76 && all?.health == 76)
        let some = SnapshotOutcome.classify(
            [disk(0, .succeeded), disk(1, .failed, code: "AuthenticationFailed")], clientFailure: false)
        #expect(some?.code == 76 && some?.health == 761)
        #expect(some?.message.contains("AuthenticationFailed") == true)
        let limit = SnapshotOutcome.classify(
            [disk(0, .failed, message: "The snapshot count against this blob has been exceeded.")], clientFailure: false
        )
        #expect(limit?.code == 85)
        let rate = SnapshotOutcome.classify(
            [disk(0, .failed, code: "SnaphotOperationRateExceeded")], clientFailure: false)
        #expect(rate?.code == 173)
        #expect(SnapshotOutcome.classify([disk(0, .failed)], clientFailure: true)?.code == 15)
        #expect(ResultCode.snapshotFailed.healthState == 256)
        #expect(ResultCode.freezeFailed.healthState == 128)
        #expect(ResultCode.success.healthState == 0)
    }
}
