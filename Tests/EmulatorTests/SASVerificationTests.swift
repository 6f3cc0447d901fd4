import Emulator
import Foundation
import TestSupport
import Testing

/// The emulator accepts correctly signed SAS of every layout and answers each failure with Azure's 403.
@Suite struct SASVerificationTests {
    static func expiry(_ offset: TimeInterval = 3600) -> String {
        SASParameters.format(Date().addingTimeInterval(offset))
    }

    @Test(arguments: ["2014-02-14", "2015-04-05", "2017-11-09", "2018-11-09", "2019-12-12", "2020-12-06", "2025-01-05"])
    func everyLayoutIsAccepted(version: String) async throws {
        try await EmulatorFixture.run(pageBlobs: 1) { fixture in
            let answer = try await HTTPExchange.send(
                "PUT", fixture.sasURI(blob: "disk0", version: version) + "&comp=snapshot")
            #expect(answer.status == 201)
            #expect(answer.header("x-ms-version") == version)
        }
    }

    /// Expected (status, code, detail fragment) for a SAS variation.
    @Test(arguments: [
        ("tampered", "AuthenticationFailed", "Signature did not match"),
        ("expired", "AuthenticationFailed", "Signature not valid in the specified time frame"),
        ("notYetValid", "AuthenticationFailed", "Signature not valid in the specified time frame"),
        ("readOnly", "AuthorizationPermissionMismatch", ""),
        ("httpsOnly", "AuthorizationProtocolMismatch", ""),
        ("otherIP", "AuthorizationSourceIPMismatch", ""),
        ("legacyLayoutSignedAs2015", "AuthenticationFailed", "Signature did not match"),
    ])
    func failuresAreAzure403s(variation: String, code: String, detail: String) async throws {
        try await EmulatorFixture.run(pageBlobs: 1) { fixture in
            var sas = SASParameters(version: "2020-12-06", resource: "b", permissions: "rcw", expiry: Self.expiry())
            var uri: String
            switch variation {
            case "expired": sas.expiry = Self.expiry(-60)
            case "notYetValid": sas.start = Self.expiry(600)
            case "readOnly": sas.permissions = "r"
            case "httpsOnly": sas.protocols = "https"
            case "otherIP": sas.ipRange = "10.1.2.3-10.1.2.9"
            default: break
            }
            uri = fixture.emulator.signedURI(container: "vhds", blob: "disk0", parameters: sas)
            if variation == "tampered" { uri = uri.replacingOccurrences(of: "sp=rcw", with: "sp=rcwd") }
            if variation == "legacyLayoutSignedAs2015" {
                // What Azurite does wrong: sign sv=2014-02-14 with the 2015 layout. Azure (and we) reject it.
                let wrong = SASParameters(
                    version: "2015-02-21", resource: "b", permissions: "rcw", expiry: Self.expiry())
                let signed = fixture.emulator.signedURI(container: "vhds", blob: "disk0", parameters: wrong)
                uri = signed.replacingOccurrences(of: "sv=2015-02-21", with: "sv=2014-02-14")
            }
            let answer = try await HTTPExchange.send("PUT", uri + "&comp=snapshot")
            #expect(answer.status == 403)
            #expect(answer.header("x-ms-error-code") == code)
            #expect(answer.header("x-ms-request-id") != nil)
            #expect(answer.header("date") != nil)
            #expect(
                answer.text.hasPrefix("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>\(code)</Code><Message>"))
            #expect(answer.text.contains("RequestId:"))
            if !detail.isEmpty { #expect(answer.text.contains("<AuthenticationErrorDetail>\(detail)")) }
            #expect(fixture.emulator.snapshots(container: "vhds", blob: "disk0").isEmpty)
        }
    }

    /// Azure writes at most 7 fractional digits; 20 used to overflow the emulator's digit accumulator and trap.
    @Test func timesWithManyFractionalDigitsAreRead() async throws {
        try await EmulatorFixture.run(pageBlobs: 1) { fixture in
            let digits = ".12345678901234567890Z"
            for (expiry, status) in [("2099-01-01T00:00:00" + digits, 201), ("2001-01-01T00:00:00" + digits, 403)] {
                let sas = SASParameters(version: "2020-12-06", resource: "b", permissions: "rcw", expiry: expiry)
                let uri = fixture.emulator.signedURI(container: "vhds", blob: "disk0", parameters: sas)
                let answer = try await HTTPExchange.send("PUT", uri + "&comp=snapshot")
                #expect(answer.status == status, "se=\(expiry): \(answer.text)")
            }
        }
    }

    @Test func permissionsPerOperation() async throws {
        try await EmulatorFixture.run(pageBlobs: 1) { fixture in
            let createOnly = fixture.sasURI(blob: "disk0", permissions: "c")
            let snapshot = try await HTTPExchange.send("PUT", createOnly + "&comp=snapshot")
            #expect(snapshot.status == 201)
            let read = try await HTTPExchange.send("GET", createOnly)
            #expect(read.header("x-ms-error-code") == "AuthorizationPermissionMismatch")
            let readOnly = fixture.sasURI(blob: "disk0", permissions: "r")
            let allowed = try await HTTPExchange.send("GET", readOnly)
            #expect(allowed.status == 200)
            let delete = try await HTTPExchange.send("DELETE", readOnly)
            #expect(delete.status == 403)
        }
    }

    @Test func missingSignatureIsNotFound() async throws {
        try await EmulatorFixture.run(pageBlobs: 1) { fixture in
            let answer = try await HTTPExchange.send("GET", "\(fixture.emulator.baseURL)/devstoreaccount1/vhds/disk0")
            #expect(answer.status == 404)
            #expect(answer.header("x-ms-error-code") == "ResourceNotFound")
        }
    }
}
