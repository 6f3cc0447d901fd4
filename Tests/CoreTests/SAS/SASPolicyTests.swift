import Core
import Foundation
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

@Suite struct SASPolicyTests {
    let now = ISO8601DateFormatter().date(from: "2026-11-25T12:00:00Z")!

    func uri(_ text: String) throws -> SASBlobURI { try SASBlobURI(text) }

    func expectations(_ text: String, _ purpose: SASPurpose) throws -> [String] {
        SASPolicy.violations(try uri(text), for: purpose, now: now).map(\.expected)
    }

    @Test func validHTTPSURIPasses() throws {
        let text =
            "https://a.blob.core.windows.net/c/b?sv=2020-12-06&sp=rw&st=2026-11-25T11%3A00%3A00Z&se=2026-11-25T13%3A00%3A00Z&sig=abc"
        #expect(try expectations(text, .snapshot).isEmpty)
        #expect(try expectations(text, .statusPoll).isEmpty)
    }

    @Test func plainHTTPOnlyOnLoopback() throws {
        let remote = "http://a.blob.core.windows.net/c/b?sp=w&se=2026-11-26T00:00:00Z&sig=abc"
        #expect(try expectations(remote, .snapshot) == ["https (plain http is allowed only on loopback)"])
        let loopback = "http://127.0.0.1:10000/devstoreaccount1/c/b?sp=w&se=2026-11-26T00:00:00Z&sig=abc"
        #expect(try expectations(loopback, .snapshot).isEmpty)
    }

    @Test func expiryAndStartAreCheckedAgainstNow() throws {
        let expired = "https://a.blob.core.windows.net/c/b?sp=w&se=2026-11-25T11:59:59Z&sig=abc"
        let violations = SASPolicy.violations(try uri(expired), for: .snapshot, now: now)
        #expect(violations.map(\.expected) == ["an unexpired SAS"])
        #expect(violations[0].found == "expired at 2026-11-25T11:59:59Z")
        let future = "https://a.blob.core.windows.net/c/b?sp=w&st=2026-11-25T12:30:00Z&se=2026-11-26T00:00:00Z&sig=abc"
        #expect(try expectations(future, .snapshot) == ["a SAS that is already valid"])
        let skewed = "https://a.blob.core.windows.net/c/b?sp=w&st=2026-11-25T12:04:00Z&se=2026-11-26T00:00:00Z&sig=abc"
        #expect(try expectations(skewed, .snapshot).isEmpty)
        let noExpiry = "https://a.blob.core.windows.net/c/b?sp=w&sig=abc"
        #expect(try expectations(noExpiry, .snapshot) == ["an expiry (se) or a stored access policy (si)"])
        let badExpiry = "https://a.blob.core.windows.net/c/b?sp=w&se=tomorrow&sig=abc"
        #expect(try expectations(badExpiry, .snapshot) == ["an ISO 8601 expiry (se)"])
    }

    @Test func permissionLettersPerPurpose() throws {
        let readOnly = "https://a.blob.core.windows.net/c/b?sp=r&se=2026-11-26T00:00:00Z&sig=abc"
        #expect(try expectations(readOnly, .snapshot) == ["permissions with 'c' or 'w' for snapshot"])
        #expect(try expectations(readOnly, .statusUpload) == ["permissions with 'c' or 'w' for status upload"])
        #expect(try expectations(readOnly, .logUpload) == ["permissions with 'c' or 'w' for log upload"])
        #expect(try expectations(readOnly, .statusPoll).isEmpty)
        let createOnly = "https://a.blob.core.windows.net/c/b?sp=c&se=2026-11-26T00:00:00Z&sig=abc"
        #expect(try expectations(createOnly, .snapshot).isEmpty)
        #expect(try expectations(createOnly, .statusPoll) == ["permissions with 'r' for status polling"])
    }

    @Test func missingSignatureIsReported() throws {
        let unsigned = "https://a.blob.core.windows.net/c/b?sp=w&se=2026-11-26T00:00:00Z"
        #expect(try expectations(unsigned, .snapshot) == ["a signature (sig) in the query"])
    }
}
