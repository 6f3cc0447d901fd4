import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// Which CA certificates a blob client trusts, and how a bad CA file is reported.
@Suite struct TrustAnchorsTests {
    @Test func anExplicitBundleWinsOverTheEnvironment() {
        let anchors = TrustAnchors.resolve(
            explicit: "/etc/vmsnap/ca.pem", origin: "--ca-bundle",
            environment: ["CURL_CA_BUNDLE": "/a.pem", "SSL_CERT_FILE": "/b.pem"])
        #expect(anchors == TrustAnchors(bundle: "/etc/vmsnap/ca.pem", directory: nil, origin: "--ca-bundle"))
        #expect(anchors.description == "CA bundle /etc/vmsnap/ca.pem (from --ca-bundle)")
    }

    @Test func theEnvironmentIsReadInTheCurlToolsOrder() {
        let curlBundle = TrustAnchors.resolve(
            explicit: nil, environment: ["CURL_CA_BUNDLE": "/a.pem", "SSL_CERT_FILE": "/b.pem", "SSL_CERT_DIR": "/c"])
        #expect(curlBundle == TrustAnchors(bundle: "/a.pem", directory: nil, origin: "CURL_CA_BUNDLE"))
        let openSSL = TrustAnchors.resolve(
            explicit: nil, environment: ["SSL_CERT_FILE": "/b.pem", "SSL_CERT_DIR": "/c"])
        #expect(openSSL == TrustAnchors(bundle: "/b.pem", directory: "/c", origin: "SSL_CERT_FILE and SSL_CERT_DIR"))
        let directory = TrustAnchors.resolve(explicit: nil, environment: ["SSL_CERT_DIR": "/c", "CURL_CA_BUNDLE": ""])
        #expect(directory == TrustAnchors(bundle: nil, directory: "/c", origin: "SSL_CERT_DIR"))
    }

    @Test func withoutAChoiceLibcurlsDefaultApplies() {
        let anchors = TrustAnchors.resolve(explicit: nil, environment: [:])
        #expect(anchors == TrustAnchors.libcurlDefault)
        #expect(anchors.origin == "libcurl's default")
        // Debian's libcurl names /etc/ssl/certs, hashed by ca-certificates: read lazily instead of the whole bundle.
        #expect(anchors.bundle != nil || anchors.directory != nil)
        if let directory = anchors.directory { #expect(TrustAnchors.isHashed(directory: directory)) }
    }

    @Test func theSystemCertificatesAreReadAsVerificationNeedsThem() throws {
        // Debian's libcurl names both /etc/ssl/certs/ca-certificates.crt and the hashed /etc/ssl/certs: the store
        // takes the directory alone, so loading parses nothing up front (the bundle would be about 140 certificates).
        let anchors = TrustAnchors.libcurlDefault
        #expect(anchors.directory == "/etc/ssl/certs")
        #expect(anchors.bundle == nil)
        let store = try TrustStore.shared(anchors)
        #expect(store.certificatesLoaded == 0)
        #expect(try TrustStore.shared(anchors) === store)
        #expect(TrustStore.loadCount(bundle: nil, directory: "/etc/ssl/certs") == 1)
    }

    @Test func aBadBundleIsNamedWithWhoChoseItAndWhy() throws {
        let directory = try SettingsFixtures.temporaryDirectory("trust")
        defer { try? FileManager.default.removeItem(at: directory) }
        let empty = directory.appendingPathComponent("empty.pem").path
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: empty))
        let missing = directory.appendingPathComponent("missing.pem").path
        let cases: [(String, String)] = [
            (missing, "does not exist"), (directory.path, "is a directory, not a PEM file"),
            (empty, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
        ]
        for (path, reason) in cases {
            let error = try #require(
                throws: TrustStoreError.self, performing: { try TrustStore.validateBundle(path, origin: "--ca-bundle") }
            )
            #expect(error.reason == reason)
            #expect(error.description == "CA certificates \(path) (from --ca-bundle) \(reason)")
        }
        // The store itself refuses the same file, when loading it for a connection.
        let unusable = try #require(
            throws: TrustStoreError.self,
            performing: { try TrustStore.shared(TrustAnchors(bundle: empty, directory: nil, origin: "SSL_CERT_FILE")) })
        #expect(
            unusable.description.hasPrefix("CA certificates \(empty) (from SSL_CERT_FILE) holds no PEM certificate"))
    }

    @Test func theConfigurationsCABundleIsValidatedAndNamed() throws {
        let directory = try SettingsFixtures.temporaryDirectory("trust-config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("ca.pem").path
        let file = try SettingsFixtures.write(["caBundle": missing], to: directory.appendingPathComponent("c.json"))
        let error = try #require(
            throws: ConfigurationError.self, performing: { try VMSnapConfiguration.load(path: file.path) })
        let problem = try #require(error.problems.first)
        #expect(problem.path == "$.caBundle")
        #expect(problem.file == file.path)
        #expect(problem.expected == "a readable PEM file of CA certificates")
        #expect(problem.found == "'\(missing)' does not exist")
        let relative = try SettingsFixtures.write(
            ["caBundle": "ca.pem"], to: directory.appendingPathComponent("r.json"))
        let relativeError = try #require(
            throws: ConfigurationError.self, performing: { try VMSnapConfiguration.load(path: relative.path) })
        #expect(relativeError.problems.first?.expected == "an absolute path")

        try Data("-----BEGIN CERTIFICATE-----\n".utf8).write(to: URL(fileURLWithPath: missing))
        let configuration = try VMSnapConfiguration.load(path: file.path)
        #expect(configuration.caBundle == missing)
        let anchors = configuration.trustAnchors(commandLineBundle: nil)
        #expect(anchors == TrustAnchors(bundle: missing, directory: nil, origin: "caBundle in vmsnap's configuration"))
        #expect(configuration.trustAnchors(commandLineBundle: "/other.pem").origin == "--ca-bundle")
    }
}
