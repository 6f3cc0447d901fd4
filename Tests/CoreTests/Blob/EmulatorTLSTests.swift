import Core
import Emulator
import Foundation
import TestSupport
import Testing

/// The blob client over https against the emulator's own TLS endpoint (swift-nio-ssl, a throw-away certificate),
/// certificate verification on: one CA store per process, TLS sessions resumed, failures said clearly.
@Suite struct EmulatorTLSTests {
    /// Runs `body` with a TLS emulator of `disks` page blobs and its certificate written to a file of its own.
    func withTLSEmulator(
        disks: Int = 1, _ body: (EmulatorFixture, _ certificatePath: String) async throws -> Void
    ) async throws {
        let directory = try SettingsFixtures.temporaryDirectory("emulator-tls")
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = try EmulatorCertificate.generate()
        let path = directory.appendingPathComponent("ca.pem").path
        try certificate.writeCertificate(to: path)
        try await EmulatorFixture.run(pageBlobs: disks, configuration: EmulatorConfiguration(tls: certificate)) {
            try await body($0, path)
        }
    }

    @Test func theCertificateIsForLoopbackAndSaysSoInPEM() throws {
        let certificate = try EmulatorCertificate.generate(hosts: ["10.1.2.3", "emulator.test", "0.0.0.0"])
        #expect(certificate.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(
            certificate.subjectAlternativeNames == [
                "IP:127.0.0.1", "IP:::1", "DNS:localhost", "IP:10.1.2.3", "DNS:emulator.test",
            ])
        #expect(try EmulatorCertificate.generate().certificatePEM != certificate.certificatePEM)
    }

    @Test func aSnapshotOverVerifiedTLS() async throws {
        try await withTLSEmulator { emulator, ca in
            let disk = try SASBlobURI(try #require(emulator.pageBlobURIs.first))
            #expect(disk.scheme == "https")
            let client = BlobClient(configuration: BlobClient.Configuration(caBundle: ca))
            let response = try await client.snapshot(disk, metadata: [MetadataEntry(key: "BackupJob", value: "tls")])
            #expect(response.status == 201)
            #expect(response.httpVersion == "HTTP/1.1")
            #expect(response.connectionsOpened == 1)
            #expect(response.tlsSessionResumed == false)
            #expect(response.timing.tlsHandshake > .zero)
            #expect(response.timing.tcpConnect > .zero)
            #expect(emulator.emulator.snapshots(account: emulator.account, container: "vhds", blob: "disk0").count == 1)
            #expect(client.statistics.requests == ["PUT": 1])
        }
    }

    @Test func theCAFileIsLoadedOnceAndLaterConnectionsResumeTheSession() async throws {
        try await withTLSEmulator(disks: 16) { emulator, ca in
            #expect(TrustStore.loadCount(bundle: ca) == 0)
            let disks = try emulator.pageBlobURIs.map { try SASBlobURI($0) }
            for _ in 0..<2 {
                // A fresh client each time, as each job has: HTTP/1.1, so one connection per disk.
                let client = BlobClient(configuration: BlobClient.Configuration(caBundle: ca))
                #expect(await client.preconnect(disks).isEmpty)
                let statistics = client.statistics
                #expect(statistics.connections.count == 16)
                #expect(statistics.requests == ["HEAD": 16])
                // The first handshake is a full one; the others, opened at once, resume its session through the
                // client's share handle (not every one: a connection that finds the session replaced by a newer
                // ticket in mid-flight makes a full handshake).
                let resumed = statistics.connections.map(\.tlsSessionResumed)
                #expect(resumed.first == false)
                #expect(resumed.dropFirst().contains(true), "\(resumed)")
                #expect(resumed.allSatisfy { $0 != nil })
                #expect(statistics.connections.allSatisfy { $0.timing.tlsHandshake > .zero })
                let store = try #require(try await client.trustStore())
                #expect(store.certificatesLoaded == 1)
            }
            // Sixteen verified connections, two clients: the file was parsed once.
            #expect(TrustStore.loadCount(bundle: ca) == 1)
        }
    }

    @Test func anUntrustedCertificateIsRefusedNamingTheHostAndWhy() async throws {
        try await withTLSEmulator { emulator, _ in
            let disk = try SASBlobURI(try #require(emulator.pageBlobURIs.first))
            let client = BlobClient(
                configuration: BlobClient.Configuration(
                    trustAnchors: TrustAnchors.resolve(explicit: nil, environment: [:])))
            do throws(BlobTransportError) {
                let response = try await client.snapshot(disk, metadata: [])
                Issue.record("a self-signed certificate was accepted: HTTP \(response.status)")
            } catch {
                #expect(error.kind == .client)
                #expect(error.curlCode == 60)
                #expect(
                    error.message.hasPrefix(
                        "TLS with https://127.0.0.1:\(emulator.emulator.port) failed: SSL certificate problem: "
                            + "self-signed certificate"),
                    "\(error.message)")
                #expect(
                    error.message.hasSuffix("(verified against \(TrustAnchors.libcurlDefault))"), "\(error.message)")
                #expect(!error.message.contains("sig="))
            }
            #expect(emulator.emulator.snapshots(account: emulator.account, container: "vhds", blob: "disk0").isEmpty)
        }
    }

    @Test func anUnusableCABundleFailsTheRequestNamingTheFile() async throws {
        try await withTLSEmulator { emulator, ca in
            let disk = try SASBlobURI(try #require(emulator.pageBlobURIs.first))
            let missing = ca + ".missing"
            let client = BlobClient(configuration: BlobClient.Configuration(caBundle: missing))
            do throws(BlobTransportError) {
                _ = try await client.snapshot(disk, metadata: [])
                Issue.record("a request went out without its CA bundle")
            } catch {
                #expect(error.kind == .client)
                #expect(
                    error.message == "CA certificates \(missing) (from the blob client's configuration) does not exist")
            }
        }
    }
}
