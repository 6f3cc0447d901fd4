import Foundation
import TestSupport
import Testing

/// A real TLS-terminating HTTP/2 reverse proxy on loopback: `nghttpx` (Debian package nghttp2-proxy) with a
/// throw-away self-signed certificate for `IP:127.0.0.1`, forwarding plain HTTP/1.1 to a backend (the emulator).
/// Its access log names each request's client port, so the log counts the client's connections.
/// Starting never blocks a thread of Swift concurrency's small pool (other suites' deadlines run on it).
final class TLSProxy {
    /// One line of the access log.
    struct Request: Equatable {
        /// The client's source port: one per TCP connection.
        var clientPort: Int
        /// The ALPN protocol the connection negotiated (`h2`, `http/1.1`).
        var alpn: String
        /// `HTTP/2`, `HTTP/1.1`.
        var protocolVersion: String
        var status: Int
        var method: String
        /// The path without its query (the log never holds a SAS signature).
        var path: String
    }

    static let executable = "/usr/sbin/nghttpx"
    /// What the certificate is issued for, and where the proxy listens.
    static let host = "127.0.0.1"

    /// The listening port.
    let port: Int
    /// The certificate in PEM, to trust as a client's CA bundle.
    let certificate: String
    private let directory: URL
    private let process: Process

    private init(port: Int, certificate: String, directory: URL, process: Process) {
        self.port = port
        self.certificate = certificate
        self.directory = directory
        self.process = process
    }

    /// A certificate chain (PEM, leaf first) and its key for the proxy to serve instead of a self-signed one.
    struct Identity {
        var chain: String
        var key: String
    }

    /// Starts the proxy in front of `127.0.0.1:backendPort`, offering `protocols` by ALPN (most wanted first), with
    /// `identity` or a throw-away self-signed certificate. Fails, naming the package, when nghttpx is not installed.
    static func start(backendPort: Int, protocols: [String] = ["h2", "http/1.1"], identity: Identity? = nil)
        async throws -> TLSProxy
    {
        try #require(
            FileManager.default.isExecutableFile(atPath: executable),
            "\(executable) is missing: scripts/install-deps installs it (Debian package nghttp2-proxy)")
        let directory = try SettingsFixtures.temporaryDirectory("tls-proxy")
        do {
            let certificate: String
            if let identity {
                certificate = identity.chain
            } else {
                certificate = try await makeCertificate(in: directory)
            }
            let key = identity?.key ?? directory.appendingPathComponent("key.pem").path
            // A free port can be taken between probing and binding: try a few.
            var started: TLSProxy?
            for _ in 0..<5 where started == nil {
                let port = try freePort()
                let process = try launch(
                    port: port, backendPort: backendPort, protocols: protocols, certificate: certificate, key: key,
                    directory: directory)
                if try await awaitListening(process, directory: directory) {
                    started = TLSProxy(port: port, certificate: certificate, directory: directory, process: process)
                }
            }
            let errors = try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8)
            return try #require(started, "nghttpx did not start listening: \(errors ?? "no error log")")
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// Stops the proxy and removes its files.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// `uri` (the emulator's `http://127.0.0.1:PORT/...` SAS URI) addressed to the proxy, over https, to `host`.
    func proxied(_ uri: String, host: String = TLSProxy.host) throws -> String {
        let authority = try #require(uri.range(of: "://"))
        let path = try #require(uri[authority.upperBound...].firstIndex(of: "/"))
        return "https://\(host):\(port)\(uri[path...])"
    }

    /// Every request the proxy answered so far.
    func requests() throws -> [Request] {
        let text = try String(contentsOf: directory.appendingPathComponent("access.log"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let fields = line.split(separator: " ").map(String.init)
            try #require(fields.count == 6, "unexpected access log line: \(line)")
            return Request(
                clientPort: try #require(Int(fields[0])), alpn: fields[1], protocolVersion: fields[2],
                status: try #require(Int(fields[3])), method: fields[4], path: fields[5])
        }
    }

    /// TCP connections the client opened (distinct source ports in the access log).
    func connections() throws -> Int { Set(try requests().map(\.clientPort)).count }

    private static func launch(
        port: Int, backendPort: Int, protocols: [String], certificate: String, key: String, directory: URL
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--conf=/dev/null", "--single-process", "--no-ocsp",
            "--frontend=\(host),\(port)", "--backend=127.0.0.1,\(backendPort)",
            "--npn-list=\(protocols.joined(separator: ","))",
            "--accesslog-file=\(directory.appendingPathComponent("access.log").path)",
            "--accesslog-format=$remote_port $alpn $protocol_version $status $method $path_without_query",
            "--errorlog-file=\(directory.appendingPathComponent("error.log").path)",
            key, certificate,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Whether the proxy logged that it listens (false: it exited, e.g. because the port was taken).
    private static func awaitListening(_ process: Process, directory: URL) async throws -> Bool {
        let errorLog = directory.appendingPathComponent("error.log")
        for _ in 0..<500 {
            let text = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
            if text.contains("Listening on") { return true }
            if !process.isRunning { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return false
    }

    /// A self-signed certificate for `IP:127.0.0.1` (and its P-256 key, `key.pem`) in `directory`; returns its path.
    private static func makeCertificate(in directory: URL) async throws -> String {
        let certificate = directory.appendingPathComponent("cert.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=\(host)", "-addext", "subjectAltName=IP:\(host)",
            "-keyout", directory.appendingPathComponent("key.pem").path, "-out", certificate,
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        let status = await withCheckedContinuation { continuation in
            openssl.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try openssl.run()
            } catch {
                continuation.resume(returning: -1)
            }
        }
        try #require(status == 0, "openssl req could not make a self-signed certificate (exit status \(status))")
        return certificate
    }

    /// A free loopback port (bound and released).
    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
