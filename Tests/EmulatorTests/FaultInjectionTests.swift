import Emulator
import Foundation
import TestSupport
import Testing

/// Faults injected in-process and through the admin endpoint, and the journal that records them.
@Suite struct FaultInjectionTests {
    @Test func fixedErrorCarriesAzureShape() async throws {
        try await EmulatorFixture.run { fixture in
            fixture.emulator.setFaults([
                FaultRule(blob: "disk0", operation: .snapshot, action: .error(status: 503, code: "ServerBusy"))
            ])
            let uri = fixture.sasURI(blob: "disk0")
            let answer = try await HTTPExchange.send("PUT", uri + "&comp=snapshot")
            #expect(answer.status == 503)
            #expect(answer.header("x-ms-error-code") == "ServerBusy")
            #expect(answer.text.contains("<Code>ServerBusy</Code><Message>The server is currently unable"))
            #expect(answer.header("x-ms-request-id") != nil)
            let read = try await HTTPExchange.send("GET", uri)
            #expect(read.status == 200, "a rule for snapshot leaves reads alone")
        }
    }

    @Test func failFirstThenSucceed() async throws {
        try await EmulatorFixture.run { fixture in
            fixture.emulator.setFaults([
                FaultRule(operation: .snapshot, action: .failFirst(2, status: 500, code: "InternalError"))
            ])
            let uri = fixture.sasURI(blob: "disk0") + "&comp=snapshot"
            var statuses: [Int] = []
            for _ in 0..<3 { statuses.append(try await HTTPExchange.send("PUT", uri).status) }
            #expect(statuses == [500, 500, 201])
            #expect(fixture.emulator.snapshots(container: "vhds", blob: "disk0").count == 1)
        }
    }

    @Test func latencyIsJournaled() async throws {
        try await EmulatorFixture.run { fixture in
            fixture.emulator.setFaults([FaultRule(container: "vhds", action: .latency(ms: 30))])
            let answer = try await HTTPExchange.send("PUT", fixture.sasURI(blob: "disk0") + "&comp=snapshot")
            #expect(answer.status == 201)
            let entry = try #require(fixture.emulator.journal().last)
            #expect(entry.fault == "latency(ms: 30)")
            #expect(entry.status == 201)
            #expect(entry.operation == .snapshot)
        }
    }

    @Test func resetConnectionFailsTheClient() async throws {
        try await EmulatorFixture.run { fixture in
            fixture.emulator.setFaults([FaultRule(action: .resetConnection)])
            await #expect(throws: (any Error).self) {
                _ = try await HTTPExchange.send("PUT", fixture.sasURI(blob: "disk0") + "&comp=snapshot")
            }
            #expect(fixture.emulator.journal().last?.status == 0)
            #expect(fixture.emulator.snapshots(container: "vhds", blob: "disk0").isEmpty)
        }
    }

    @Test func neverAnswerTimesOutAndStopStillWorks() async throws {
        try await EmulatorFixture.run { fixture in
            fixture.emulator.setFaults([FaultRule(action: .neverAnswer)])
            await #expect(throws: (any Error).self) {
                _ = try await HTTPExchange.send("GET", fixture.sasURI(blob: "disk0"), timeout: 1)
            }
            #expect(fixture.emulator.journal().last?.fault == "neverAnswer")
        }
    }

    @Test func holdAnswersOnlyWhenTheRulesAreReplaced() async throws {
        try await EmulatorFixture.run { fixture in
            fixture.emulator.setFaults([FaultRule(operation: .snapshot, action: .hold)])
            let uri = fixture.sasURI(blob: "disk0") + "&comp=snapshot"
            let answer = Task { try await HTTPExchange.send("PUT", uri, timeout: 30) }
            for _ in 0..<200 where fixture.emulator.journal().last?.fault != "hold" {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(fixture.emulator.journal().last?.fault == "hold")
            try await Task.sleep(for: .milliseconds(300))
            let read = try await HTTPExchange.send("GET", fixture.sasURI(blob: "disk0"), timeout: 5)
            #expect(read.status == 200, "a hold for snapshot leaves reads alone")
            fixture.emulator.setFaults([])
            #expect(try await answer.value.status == 201)
        }
    }

    @Test func adminEndpointReplacesRulesAndNamesBadFields() async throws {
        try await EmulatorFixture.run { fixture in
            let admin = fixture.emulator.baseURL + "/_admin/faults"
            let rules =
                #"[{"operation": "snapshot", "action": "error", "status": 409, "code": "SnapshotCountExceeded"}]"#
            let put = try await HTTPExchange.send("PUT", admin, body: Data(rules.utf8))
            #expect(put.status == 200)
            let answer = try await HTTPExchange.send("PUT", fixture.sasURI(blob: "disk0") + "&comp=snapshot")
            #expect(answer.header("x-ms-error-code") == "SnapshotCountExceeded")
            #expect(answer.text.contains("The snapshot count against this blob has been exceeded."))
            let bad = try await HTTPExchange.send("PUT", admin, body: Data(#"[{"action": "explode"}]"#.utf8))
            #expect(bad.status == 400)
            #expect(bad.text.contains("$[0].action"))
            let cleared = try await HTTPExchange.send("DELETE", admin)
            #expect(cleared.status == 204)
        }
    }

    /// Rules the emulator accepted with 200 and then died on (a latency sum overflowing, status -1) or answered
    /// `HTTP/1.1 0` to are refused with 400 naming the field.
    @Test(arguments: [
        (#"[{"action": "latency", "ms": 9223372036854775807}]"#, "$[0].ms"),
        (#"[{"action": "latency", "ms": -1}]"#, "$[0].ms"),
        (#"[{"action": "error", "status": -1, "code": "X"}]"#, "$[0].status"),
        (#"[{"action": "error", "status": 0, "code": "X"}]"#, "$[0].status"),
        (#"[{"action": "failFirst", "count": 1, "status": 600, "code": "X"}]"#, "$[0].status"),
        (#"[{"action": "failFirst", "count": -5, "status": 503, "code": "X"}]"#, "$[0].count"),
        (#"[{"action": "error", "status": 503, "code": "Bad\r\nInjected: header"}]"#, "$[0].code"),
    ])
    func invalidRulesAreRefusedNamingTheField(rules: String, field: String) async throws {
        try await EmulatorFixture.run { fixture in
            let admin = fixture.emulator.baseURL + "/_admin/faults"
            let answer = try await HTTPExchange.send("PUT", admin, body: Data(rules.utf8))
            #expect(answer.status == 400, "\(answer.text)")
            #expect(answer.text.contains(field), "\(answer.text)")
            // A refused rule set leaves the rules as they were (none): the emulator serves normally.
            let after = try await HTTPExchange.send("PUT", fixture.sasURI(blob: "disk0") + "&comp=snapshot")
            #expect(after.status == 201)
        }
    }

    @Test func journalRedactsSignatures() async throws {
        try await EmulatorFixture.run { fixture in
            let uri = fixture.sasURI(blob: "disk0")
            _ = try await HTTPExchange.send("GET", uri)
            let entry = try #require(fixture.emulator.journal().last)
            #expect(entry.method == "GET")
            #expect(entry.operation == .getBlob)
            #expect(entry.path.contains("sig=REDACTED"))
            #expect(entry.path.hasPrefix("/devstoreaccount1/vhds/disk0?sv=2014-02-14"))
            let signature = try #require(uri.split(separator: "sig=").last)
            #expect(!entry.path.contains(signature))
            #expect(!entry.requestID.isEmpty)
        }
    }

    @Test func faultRulesRoundTripThroughJSON() throws {
        let rules: [FaultRule] = [
            FaultRule(account: "a", container: "c", blob: "b", operation: .getBlob, action: .latency(ms: 5)),
            FaultRule(action: .error(status: 503, code: "ServerBusy")),
            FaultRule(operation: .snapshot, action: .failFirst(3, status: 500, code: "OperationTimedOut")),
            FaultRule(action: .resetConnection), FaultRule(action: .neverAnswer),
        ]
        let decoded = try JSONDecoder().decode([FaultRule].self, from: JSONEncoder().encode(rules))
        #expect(decoded == rules)
    }
}
