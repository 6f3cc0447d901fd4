import Core
import Foundation
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

@Suite struct RetryPolicyTests {
    func response(_ status: Int, headers: [String: String] = [:], body: String = "") -> BlobResponse {
        BlobResponse(status: status, headers: headers, body: Data(body.utf8), clientRequestID: "c", latency: .zero)
    }

    @Test func onlyTransientStatusesAreRetried() {
        for status in [408, 500, 502, 503, 504] { #expect(RetryPolicy.isRetryable(status: status)) }
        for status in [400, 403, 404, 409, 412, 416, 501, 505] { #expect(!RetryPolicy.isRetryable(status: status)) }
    }

    @Test func backoffGrowsWithJitterAndHonoursRetryAfter() {
        let policy = RetryPolicy(initialBackoff: .milliseconds(100), maximumBackoff: .seconds(1))
        for _ in 0..<20 {
            let third = policy.delay(afterAttempt: 3, response: response(503))
            #expect(third >= .milliseconds(200) && third <= .milliseconds(400))
            #expect(policy.delay(afterAttempt: 10, response: nil) <= .seconds(1))
        }
        #expect(
            policy.delay(afterAttempt: 1, response: response(503, headers: ["retry-after": "0.7"]))
                == .milliseconds(700))
        #expect(policy.delay(afterAttempt: 1, response: response(503, headers: ["retry-after": "30"])) == .seconds(1))
    }

    @Test func absurdRetryAfterValuesAreClampedNotTrapped() {
        let policy = RetryPolicy(initialBackoff: .milliseconds(100), maximumBackoff: .seconds(1))
        for value in ["1e300", "inf", "9223372036854775807", "Fri, 31 Dec 9999 23:59:59 GMT"] {
            #expect(
                policy.delay(afterAttempt: 1, response: response(503, headers: ["retry-after": value])) == .seconds(1))
        }
        #expect(RetryPolicy.retryAfter("nan") == nil)
    }

    @Test func whatTheServerSaysIsRedactedWhereItIsRead() {
        let xml = "<Error><Code>Bad&sig=leak1</Code><Message>see ?sv=1&sig=leak2</Message></Error>"
        let answer = response(403, headers: ["x-ms-request-id": "r&sig=leak3"], body: xml)
        for text in [answer.errorCode, answer.errorMessage, answer.requestID] {
            #expect(text?.contains("leak") == false, "\(text ?? "nil")")
        }
        #expect(response(403, headers: ["x-ms-error-code": "E?sig=leak4"]).errorCode == "E?sig=REDACTED")
    }

    @Test func storageErrorsAreReadFromHeaderOrXML() {
        let xml = """
            <?xml version="1.0" encoding="utf-8"?><Error><Code>SnapshotCountExceeded</Code>\
            <Message>The snapshot count against this blob has been exceeded.
            RequestId:1</Message></Error>
            """
        let fromBody = response(409, body: xml)
        #expect(fromBody.errorCode == "SnapshotCountExceeded")
        #expect(fromBody.errorMessage == "The snapshot count against this blob has been exceeded.")
        #expect(response(403, headers: ["x-ms-error-code": "AuthenticationFailed"]).errorCode == "AuthenticationFailed")
        #expect(response(201, body: xml).errorCode == nil)
    }

    @Test func runStopsAtNonRetryableAndAtDeadline() async {
        let policy = RetryPolicy(initialBackoff: .milliseconds(1), maximumBackoff: .milliseconds(5))
        let forbidden = await policy.run(until: .now + .seconds(5)) { _ async throws(BlobTransportError) in
            response(403)
        }
        #expect(forbidden.attempts == 1)
        #expect(!forbidden.succeeded)
        let capped = RetryPolicy(initialBackoff: .milliseconds(1), maximumBackoff: .milliseconds(2), maximumAttempts: 4)
        let busy = await capped.run(until: .now + .seconds(30)) { _ async throws(BlobTransportError) in response(503) }
        #expect(busy.attempts == 4)
        #expect(busy.stopReason?.contains("gave up") == true)
        let slow = RetryPolicy(initialBackoff: .seconds(10), maximumBackoff: .seconds(10))
        let late = await slow.run(until: .now + .seconds(2)) { _ async throws(BlobTransportError) in response(500) }
        #expect(late.attempts == 1)
        #expect(late.stopReason?.contains("deadline") == true)
    }

    @Test func waagentProxyIsRead() {
        let conf = """
            # comment
            HttpProxy.Host=proxy.example
            HttpProxy.Port=3128
            """
        #expect(ProxySettings.agentProxy(configuration: conf) == "http://proxy.example:3128")
        #expect(ProxySettings.agentProxy(configuration: "HttpProxy.Host=None") == nil)
        let settings = ProxySettings.discover(
            environment: ["https_proxy": "http://env:8080", "no_proxy": "internal"],
            waagentConfiguration: "/nonexistent")
        #expect(settings.proxy == "http://env:8080")
        #expect(settings.noProxy.contains("127.0.0.1") && settings.noProxy.contains("internal"))
    }
}
