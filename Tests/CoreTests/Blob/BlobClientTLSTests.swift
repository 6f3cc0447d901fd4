import Core
import Emulator
import Foundation
import TestSupport
import Testing

/// The blob client over TLS against a real HTTP/2 server: nghttpx terminating TLS on loopback in front of the
/// emulator, which still verifies every SAS signature. One server at a time: each is a process of its own.
@Suite(.serialized) struct BlobClientTLSTests {
    /// Runs `body` with an emulator of `disks` page blobs behind a TLS proxy offering `protocols`; stops both.
    func withProxy(
        disks: Int = 1, protocols: [String] = ["h2", "http/1.1"],
        _ body: (EmulatorFixture, TLSProxy) async throws -> Void
    ) async throws {
        try await EmulatorFixture.run(pageBlobs: disks) { emulator in
            let proxy = try await TLSProxy.start(backendPort: emulator.emulator.port, protocols: protocols)
            defer { proxy.stop() }
            try await body(emulator, proxy)
        }
    }

    /// A client that trusts the proxy's certificate.
    func trustingClient(_ proxy: TLSProxy) -> BlobClient {
        BlobClient(configuration: BlobClient.Configuration(caBundle: proxy.certificate))
    }

    /// The disks' SAS URIs addressed to the proxy.
    func diskURIs(_ emulator: EmulatorFixture, _ proxy: TLSProxy) throws -> [SASBlobURI] {
        try emulator.pageBlobURIs.map { try SASBlobURI(proxy.proxied($0)) }
    }

    /// Snapshots every disk at once; every answer must be 201.
    func snapshotAll(_ disks: [SASBlobURI], with client: BlobClient) async throws -> [BlobResponse] {
        let responses = try await withThrowingTaskGroup(of: BlobResponse.self) { group in
            for disk in disks { group.addTask { try await client.snapshot(disk, metadata: []) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(responses.count == disks.count)
        #expect(responses.allSatisfy { $0.status == 201 }, "\(responses.map(\.status))")
        return responses
    }

    @Test func snapshotNegotiatesHTTP2ByALPN() async throws {
        try await withProxy { emulator, proxy in
            let disk = try #require(try diskURIs(emulator, proxy).first)
            let response = try await trustingClient(proxy).snapshot(
                disk, metadata: [MetadataEntry(key: "BackupJob", value: "h2")])
            #expect(response.status == 201)
            #expect(response.httpVersion == "HTTP/2")
            #expect(response.isMultiplexed)
            #expect(response.header("x-ms-snapshot") != nil)
            #expect(emulator.emulator.snapshots(account: emulator.account, container: "vhds", blob: "disk0").count == 1)
            let requests = try proxy.requests()
            #expect(requests.map(\.alpn) == ["h2"])
            #expect(requests.map(\.protocolVersion) == ["HTTP/2"])
            #expect(requests.map(\.method) == ["PUT"])
        }
    }

    @Test func concurrentSnapshotsShareOneHTTP2Connection() async throws {
        try await withProxy(disks: 64) { emulator, proxy in
            let responses = try await snapshotAll(try diskURIs(emulator, proxy), with: trustingClient(proxy))
            #expect(responses.allSatisfy { $0.httpVersion == "HTTP/2" })
            #expect(responses.map(\.connectionsOpened).reduce(0, +) == 1)
            let requests = try proxy.requests()
            #expect(requests.count == 64)
            #expect(requests.allSatisfy { $0.alpn == "h2" && $0.status == 201 })
            #expect(try proxy.connections() == 1)
        }
    }

    @Test func preconnectOpensOneConnectionToAnHTTP2Host() async throws {
        try await withProxy(disks: 16) { emulator, proxy in
            let client = trustingClient(proxy)
            let disks = try diskURIs(emulator, proxy)
            #expect(await client.preconnect(disks).isEmpty)
            let responses = try await snapshotAll(disks, with: client)
            #expect(responses.map(\.connectionsOpened).reduce(0, +) == 0, "the snapshots opened new connections")
            let requests = try proxy.requests()
            #expect(requests.filter { $0.method == "HEAD" }.count == 1)
            #expect(try proxy.connections() == 1)
        }
    }

    @Test func http11WhenTheServerDoesNotOfferHTTP2() async throws {
        try await withProxy(disks: 8, protocols: ["http/1.1"]) { emulator, proxy in
            let client = trustingClient(proxy)
            let disks = try diskURIs(emulator, proxy)
            #expect(await client.preconnect(disks).isEmpty)
            let responses = try await snapshotAll(disks, with: client)
            #expect(responses.allSatisfy { $0.httpVersion == "HTTP/1.1" && !$0.isMultiplexed })
            // One warm connection per disk, opened ahead of time: the snapshots open none.
            #expect(responses.map(\.connectionsOpened).reduce(0, +) == 0)
            let requests = try proxy.requests()
            #expect(requests.allSatisfy { $0.alpn == "http/1.1" })
            #expect(requests.filter { $0.method == "HEAD" }.count == 8)
            #expect(try proxy.connections() == 8)
            #expect(emulator.emulator.snapshots(account: emulator.account, container: "vhds", blob: "disk7").count == 1)
        }
    }

    @Test func untrustedCertificateIsRejected() async throws {
        try await withProxy { emulator, proxy in
            let disk = try #require(try diskURIs(emulator, proxy).first)
            do throws(BlobTransportError) {
                let response = try await BlobClient().snapshot(disk, metadata: [])
                Issue.record("a self-signed certificate was accepted: HTTP \(response.status)")
            } catch {
                #expect(error.kind == .client)
                #expect(error.curlCode == 60)
                #expect(error.message.contains("self-signed certificate"), "\(error.message)")
                #expect(!error.message.contains("sig="))
                #expect(!RetryPolicy.isRetryable(error))
            }
            #expect(try proxy.requests().isEmpty)
            #expect(emulator.emulator.snapshots(account: emulator.account, container: "vhds", blob: "disk0").isEmpty)
        }
    }

    @Test func certificateForAnotherHostIsRejected() async throws {
        try await withProxy { emulator, proxy in
            // Trusted, but issued for 127.0.0.1, not for localhost.
            let disk = try SASBlobURI(proxy.proxied(emulator.sasURI(blob: "disk0"), host: "localhost"))
            do throws(BlobTransportError) {
                let response = try await trustingClient(proxy).snapshot(disk, metadata: [])
                Issue.record("a certificate for another host was accepted: HTTP \(response.status)")
            } catch {
                #expect(error.kind == .client)
                #expect(error.curlCode == 60)
                #expect(error.message.contains("localhost"), "\(error.message)")
            }
            #expect(try proxy.requests().isEmpty)
        }
    }
}

/// A CA bundle that holds only the intermediate CA of the server's chain is a trust anchor, as with curl (partial
/// chains), and the root alone verifies the whole chain.
@Suite(.serialized) struct TrustChainTests {
    /// Root CA -> intermediate CA -> leaf for 127.0.0.1, made with the openssl tool in `directory`.
    struct Chain {
        var root: String
        var intermediate: String
        var identity: TLSProxy.Identity
    }

    func makeChain(in directory: URL) throws -> Chain {
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func openssl(_ arguments: [String]) throws {
            let output = try ProcessOutput.runWaiting(URL(fileURLWithPath: "/usr/bin/openssl"), arguments)
            try #require(output.status == 0, "openssl \(arguments.first ?? ""): \(output.stderr)")
        }
        let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(
            ["req", "-x509"] + newKey + [
                "-days", "1", "-subj", "/CN=vmsnap test root", "-keyout", path("root.key"), "-out", path("root.pem"),
            ])
        try Data("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n".utf8).write(
            to: URL(fileURLWithPath: path("ca.ext")))
        try Data("subjectAltName=IP:127.0.0.1\n".utf8).write(to: URL(fileURLWithPath: path("leaf.ext")))
        try openssl(
            ["req"] + newKey + [
                "-subj", "/CN=vmsnap test intermediate", "-keyout", path("int.key"), "-out", path("int.csr"),
            ])
        try openssl([
            "x509", "-req", "-in", path("int.csr"), "-CA", path("root.pem"), "-CAkey", path("root.key"),
            "-CAcreateserial", "-days", "1", "-extfile", path("ca.ext"), "-out", path("int.pem"),
        ])
        try openssl(
            ["req"] + newKey + ["-subj", "/CN=127.0.0.1", "-keyout", path("leaf.key"), "-out", path("leaf.csr")])
        try openssl([
            "x509", "-req", "-in", path("leaf.csr"), "-CA", path("int.pem"), "-CAkey", path("int.key"),
            "-CAcreateserial", "-days", "1", "-extfile", path("leaf.ext"), "-out", path("leaf.pem"),
        ])
        let chain =
            try String(contentsOfFile: path("leaf.pem"), encoding: .utf8)
            + String(contentsOfFile: path("int.pem"), encoding: .utf8)
        try Data(chain.utf8).write(to: URL(fileURLWithPath: path("chain.pem")))
        return Chain(
            root: path("root.pem"), intermediate: path("int.pem"),
            identity: TLSProxy.Identity(chain: path("chain.pem"), key: path("leaf.key")))
    }

    @Test func theIntermediateOrTheRootAloneIsEnoughToTrust() async throws {
        let directory = try SettingsFixtures.temporaryDirectory("trust-chain")
        defer { try? FileManager.default.removeItem(at: directory) }
        let chain = try makeChain(in: directory)
        try await EmulatorFixture.run { emulator in
            let proxy = try await TLSProxy.start(
                backendPort: emulator.emulator.port, protocols: ["http/1.1"], identity: chain.identity)
            defer { proxy.stop() }
            let disk = try SASBlobURI(proxy.proxied(emulator.sasURI(blob: "disk0")))
            for anchor in [chain.intermediate, chain.root] {
                let client = BlobClient(configuration: BlobClient.Configuration(caBundle: anchor))
                let response = try await client.snapshot(disk, metadata: [])
                #expect(response.status == 201, "trusting \(anchor)")
            }
            // The leaf's own key is no CA: a bundle with an unrelated self-signed certificate does not verify it.
            let stranger = try EmulatorCertificate.generate()
            let strangerPath = directory.appendingPathComponent("stranger.pem").path
            try stranger.writeCertificate(to: strangerPath)
            await #expect(throws: BlobTransportError.self) {
                _ = try await BlobClient(configuration: BlobClient.Configuration(caBundle: strangerPath)).snapshot(
                    disk, metadata: [])
            }
            #expect(emulator.emulator.snapshots(account: emulator.account, container: "vhds", blob: "disk0").count == 2)
        }
    }
}
