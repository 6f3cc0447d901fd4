import Emulator
import Testing

/// String-to-sign layouts and signatures, checked against vectors computed with Python's hmac module.
@Suite struct SASParametersTests {
    static let key = EmulatorConfiguration.developmentKey

    static func parameters(_ version: String) -> SASParameters {
        SASParameters(version: version, resource: "b", permissions: "rw", expiry: "2030-01-01T00:00:00Z")
    }

    @Test(arguments: [
        (
            "2014-02-14", "rw\n\n2030-01-01T00:00:00Z\n/devstoreaccount1/vhds/disk0\n\n2014-02-14\n\n\n\n\n",
            "ozx/lK+/QAMD3YrzzKltHJ+R1D6Law1Kz6o3/FXU4yc="
        ),
        (
            "2015-04-05", "rw\n\n2030-01-01T00:00:00Z\n/blob/devstoreaccount1/vhds/disk0\n\n\n\n2015-04-05\n\n\n\n\n",
            "Xqu8tVGp6LFDEcxhK5g5sM/FevojAnuZ1yiTDGYqLKM="
        ),
        (
            "2019-02-02",
            "rw\n\n2030-01-01T00:00:00Z\n/blob/devstoreaccount1/vhds/disk0\n\n\n\n2019-02-02\nb\n\n\n\n\n\n",
            "Etj3gep3PAOjv/ekBahWsJH5wEG7BG9aUusgVRkkVr4="
        ),
        (
            "2021-08-06",
            "rw\n\n2030-01-01T00:00:00Z\n/blob/devstoreaccount1/vhds/disk0\n\n\n\n2021-08-06\nb\n\n\n\n\n\n\n",
            "CRPhnZ45h9b7ed1BiQB2tfoxmbNjZ3j8a305f8TAX2E="
        ),
    ])
    func layoutAndSignature(version: String, expected: String, signature: String) throws {
        let sas = Self.parameters(version)
        #expect(sas.stringToSign(account: "devstoreaccount1", container: "vhds", blob: "disk0") == expected)
        let query = try #require(
            sas.signedQuery(account: "devstoreaccount1", container: "vhds", blob: "disk0", key: Self.key))
        let encoded = signature.replacingOccurrences(of: "+", with: "%2B").replacingOccurrences(of: "/", with: "%2F")
            .replacingOccurrences(of: "=", with: "%3D")
        #expect(query.hasSuffix("&sig=\(encoded)"))
        #expect(query.contains("se=2030-01-01T00%3A00%3A00Z"))
    }

    @Test func containerResourceOmitsTheBlob() {
        var sas = Self.parameters("2014-02-14")
        sas.resource = "c"
        #expect(sas.canonicalResource(account: "a", container: "c", blob: "b") == "/a/c")
        sas.version = "2020-12-06"
        #expect(sas.canonicalResource(account: "a", container: "c", blob: "b") == "/blob/a/c")
    }

    @Test func badKeySignsNothing() {
        #expect(Self.parameters("2014-02-14").signedQuery(account: "a", container: "c", blob: "b", key: "***") == nil)
    }
}
