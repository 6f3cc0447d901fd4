import Core
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

@Suite struct ErrorCatalogTests {
    @Test func everyResultCodeOfTheSpecIsThere() {
        let codes =
            [0, 1, 2, 3, 4, 11, 12, 15, 16, 17, 76, 761, 85, 173, 121, 122, 123, 124, 402, 556]
            + Array(300...318) + Array(500...512)
        for code in codes {
            let entry = ErrorCatalog.resultCode(code)
            #expect(entry != nil, "code \(code)")
            #expect(entry?.health != nil && entry?.suggestedAction.isEmpty == false, "code \(code)")
        }
        #expect(ErrorCatalog.resultCodes.count == codes.count)
        #expect(ErrorCatalog.resultCode(5) == nil)
    }

    @Test func namesHealthAndRetryability() {
        #expect(ErrorCatalog.resultCode(761)?.name == "FailedRetryableSnapshotFailedRestrictedNetwork")
        #expect(ErrorCatalog.resultCode(761)?.health == .red)
        #expect(ErrorCatalog.resultCode(761)?.retryable == true)
        #expect(ErrorCatalog.resultCode(16)?.health?.statusCode == 128)
        #expect(ErrorCatalog.resultCode(85)?.health?.statusCode == 256)
        #expect(ErrorCatalog.resultCode(1)?.health?.statusCode == 0)
        #expect(ErrorCatalog.resultCode(310)?.name == "FailedPrepostPluginhostPreTimeout")
        #expect(ErrorCatalog.resultCode(402)?.name == "FailedGuestAgentInvokedCommandTooLate")
        #expect(ErrorCatalog.resultCode(2)?.retryable == false)
    }

    @Test func serviceCodesAndStringLookup() {
        let entry = ErrorCatalog.serviceCode("usererrorfsfreezefailed")
        #expect(entry?.name == "UserErrorFsFreezeFailed")
        #expect(entry?.suggestedAction.contains("MountsToSkip") == true)
        #expect(entry?.code == nil)
        #expect(ErrorCatalog.serviceCodes.count == 17)
        #expect(ErrorCatalog.lookup("76")?.name == "FailedRetryableSnapshotFailedNoNetwork")
        #expect(ErrorCatalog.lookup("error_http_failure")?.code == 15)
        #expect(ErrorCatalog.lookup("BackUpOperationFailedV2")?.suggestedAction == "retry later")
        #expect(ErrorCatalog.lookup("nothing-like-this") == nil)
    }
}
