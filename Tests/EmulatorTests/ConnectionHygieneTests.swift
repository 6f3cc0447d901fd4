import Emulator
import Foundation
import Glibc
import TestSupport
import Testing

/// Connections that send nothing are closed after the idle timeout: a half-open request (1,100 of them held every
/// descriptor under `ulimit -n 1024` and blocked valid clients) no longer stays forever; and a request is
/// authenticated on its head, before its body is read.
@Suite struct ConnectionHygieneTests {
    /// Connects to the emulator, sends `text` and returns what the first `recv` gives back within `wait` seconds:
    /// 0 when the server closed the connection, -1 when it is still open and silent, else the bytes of the answer.
    private func sendAndWaitForClose(port: Int, _ text: String, wait seconds: Int) throws -> Int {
        try exchange(port: port, text, wait: seconds).count
    }

    /// A TCP connection to the emulator on loopback.
    private static func connect(port: Int) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socket >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if connected != 0 { close(socket) }
        try #require(connected == 0)
        return socket
    }

    private func exchange(port: Int, _ text: String, wait seconds: Int) throws -> (count: Int, text: String) {
        let socket = try Self.connect(port: port)
        defer { close(socket) }
        _ = text.withCString { send(socket, $0, strlen($0), 0) }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(socket, &buffer, buffer.count, 0)
        return (count, String(decoding: buffer.prefix(max(0, count)), as: UTF8.self))
    }

    /// An unauthenticated PUT announcing 512 MiB: answered 403 at once, the body never read (it was buffered whole
    /// before the 403, peaking at 695 MB).
    @Test func aRequestIsRefusedOnItsHeadBeforeItsBody() async throws {
        try await EmulatorFixture.run { fixture in
            let uri = fixture.sasURI(blob: "disk0").replacingOccurrences(of: "sig=", with: "sig=AAAA")
            let path = String(uri.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
            let head =
                "PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nx-ms-blob-type: BlockBlob\r\n"
                + "Content-Length: 536870912\r\n\r\nfirst bytes of a huge body"
            let answer = try exchange(port: fixture.emulator.port, head, wait: 10)
            #expect(answer.text.hasPrefix("HTTP/1.1 403"), "\(answer.text)")
            #expect(fixture.emulator.journal().last?.status == 403)
            // An authorized PUT with a body is served as before.
            let put = try await HTTPExchange.send(
                "PUT", fixture.sasURI(blob: "small"), headers: ["x-ms-blob-type": "BlockBlob"], body: Data("ok".utf8))
            #expect(put.status == 201)
        }
    }

    @Test func aRequestWhoseHeadNeverEndsIsClosed() async throws {
        try await EmulatorFixture.run(configuration: EmulatorConfiguration(idleTimeout: .seconds(1))) { fixture in
            let port = fixture.emulator.port
            let started = Date()
            let answer = try sendAndWaitForClose(
                port: port, "PUT /devstoreaccount1/vhds/disk0 HTTP/1.1\r\nHost: 127.0.0.1\r\nx-ms-", wait: 15)
            #expect(answer == 0, "the server closed the half-open request")
            #expect(Date().timeIntervalSince(started) < 15)
            // A connection that keeps talking is served as before.
            let get = try await HTTPExchange.send("GET", fixture.sasURI(blob: "disk0"))
            #expect(get.status == 200)
        }
    }

    @Test func anIdleConnectionStaysOpenUntilTheTimeout() async throws {
        try await EmulatorFixture.run(configuration: EmulatorConfiguration(idleTimeout: .seconds(30))) { fixture in
            let answer = try sendAndWaitForClose(port: fixture.emulator.port, "", wait: 2)
            #expect(answer == -1, "still open after 2 s of a 30 s timeout")
        }
    }

    /// A client that sends its head one byte at a time never idles long enough for the idle timeout; the header
    /// timeout closes it all the same.
    @Test func aHeadTrickledByteByByteIsClosedAtTheHeaderTimeout() async throws {
        let configuration = EmulatorConfiguration(idleTimeout: .seconds(30), headerTimeout: .seconds(1))
        try await EmulatorFixture.run(configuration: configuration) { fixture in
            let socket = try Self.connect(port: fixture.emulator.port)
            defer { close(socket) }
            let head = Array("PUT /devstoreaccount1/vhds/disk0 HTTP/1.1\r\nHost: 127.0.0.1\r\nx-ms-version: 2021".utf8)
            let started = Date()
            var closedAfter: TimeInterval?
            for byte in head where closedAfter == nil {
                var byte = byte
                _ = send(socket, &byte, 1, Int32(MSG_NOSIGNAL))
                try await Task.sleep(for: .milliseconds(150))
                var probe: UInt8 = 0
                if recv(socket, &probe, 1, Int32(MSG_DONTWAIT)) == 0 { closedAfter = Date().timeIntervalSince(started) }
            }
            let closed = try #require(closedAfter, "still open after \(head.count) bytes over 10 s")
            #expect(closed < 8, "closed after \(closed) s, header timeout 1 s")
        }
    }

    /// A body over the limit is answered 413 RequestBodyTooLarge, whether announced by Content-Length or sent
    /// chunked; one within it is served.
    @Test func aBodyOverTheLimitIsRefusedWith413() async throws {
        try await EmulatorFixture.run(configuration: EmulatorConfiguration(maximumBodyBytes: 1024)) { fixture in
            let blob = ["x-ms-blob-type": "BlockBlob"]
            let small = try await HTTPExchange.send(
                "PUT", fixture.sasURI(blob: "small"), headers: blob, body: Data(count: 1024))
            #expect(small.status == 201)
            let large = try await HTTPExchange.send(
                "PUT", fixture.sasURI(blob: "large"), headers: blob, body: Data(count: 4096))
            #expect(large.status == 413)
            #expect(large.header("x-ms-error-code") == "RequestBodyTooLarge")
            let path = String(fixture.sasURI(blob: "chunked").drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
            let chunk = String(repeating: "a", count: 800)
            let chunked =
                "PUT \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nx-ms-blob-type: BlockBlob\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "320\r\n\(chunk)\r\n320\r\n\(chunk)\r\n0\r\n\r\n"
            let answer = try exchange(port: fixture.emulator.port, chunked, wait: 10)
            #expect(answer.text.hasPrefix("HTTP/1.1 413"), "\(answer.text)")
            #expect(fixture.emulator.journal().filter { $0.status == 413 }.count == 2)
        }
    }
}
