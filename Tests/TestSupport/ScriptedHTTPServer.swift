import Foundation

/// A loopback HTTP/1.1 server that answers every request with the same raw bytes, header lines included exactly as
/// given: for storage answers no real server (nor the emulator's HTTP library) would send, such as control
/// characters in `x-ms-error-code`. Stop it with `stop()`.
public final class ScriptedHTTPServer {
    public let port: Int
    private let process: Process

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    /// Starts the server on 127.0.0.1 (an ephemeral port) answering `status` with these headers and body.
    public static func start(status: String, headers: [String], body: String) throws -> ScriptedHTTPServer {
        let bodyBytes = Data(body.utf8)
        let head =
            (["HTTP/1.1 \(status)"] + headers + ["Content-Length: \(bodyBytes.count)"])
            .joined(separator: "\r\n") + "\r\n\r\n"
        let answer = Data(head.utf8) + bodyBytes
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, answer.base64EncodedString()]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = LineReader(output.fileHandleForReading).next() ?? ""
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw IsolatedListenerError(step: "start the scripted HTTP server", output: line)
        }
        return ScriptedHTTPServer(port: port, process: process)
    }

    /// Stops the server (SIGKILL: a child of a test thread inherits its blocked signals).
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Serves each connection on a thread: reads a request (head and Content-Length body), sends the answer.
    private static let script = """
        import base64, socket, sys, threading
        answer = base64.b64decode(sys.argv[1])
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        print(server.getsockname()[1], flush=True)
        def serve(connection):
            data = b""
            while True:
                while b"\\r\\n\\r\\n" not in data:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, data = data.partition(b"\\r\\n\\r\\n")
                length = 0
                for line in head.split(b"\\r\\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                while len(data) < length:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                data = data[length:]
                connection.sendall(answer)
        while True:
            connection, _ = server.accept()
            threading.Thread(target=serve, args=(connection,), daemon=True).start()
        """
}
