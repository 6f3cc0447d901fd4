import Core
import Foundation
import TestSupport
import Testing

/// TLS verification against a real TLS server (openssl s_server with a throw-away self-signed certificate).
@Suite struct BlobClientTLSTests {
    /// A free loopback port (bound and released; good enough for a test).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func certificatesAreVerified() async throws {
        let directory = try SettingsFixtures.temporaryDirectory("tls")
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let made = try ProcessOutput.run(
            URL(fileURLWithPath: "/usr/bin/openssl"),
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        try #require(made.status == 0, "\(made.stderr)")
        let port = try Self.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        server.arguments = ["s_server", "-accept", String(port), "-cert", certificate, "-key", key, "-www", "-quiet"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            kill(server.processIdentifier, SIGKILL)  // s_server does not always end on SIGTERM
            server.waitUntilExit()
        }
        let uri = try SASBlobURI("https://127.0.0.1:\(port)/acct/vhds/disk0?sv=2014-02-14&sig=c2VjcmV0%3D")
        let trusting = BlobClient(configuration: BlobClient.Configuration(caBundle: certificate))
        var answer: BlobResponse?
        for _ in 0..<100 where answer == nil {
            answer = try? await trusting.get(uri)
            if answer == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(answer?.status == 200, "no answer through TLS with the server's certificate trusted")
        do {
            _ = try await BlobClient().get(uri)
            Issue.record("an untrusted certificate was accepted")
        } catch {
            #expect(error.kind == .client)
            #expect(error.curlCode == 60)
            #expect(!error.message.contains("c2VjcmV0"))
            #expect(!RetryPolicy.isRetryable(error))
        }
    }
}
