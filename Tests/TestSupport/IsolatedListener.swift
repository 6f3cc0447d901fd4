import Foundation

/// A TCP listener inside a network namespace of its own, reached from this one through a veth pair on a private
/// /30: a non-loopback address that proves whether a job contacts a host, without any of the machine's own
/// interfaces. It records every connection and the first bytes received to a file. Needs root and iproute2.
public final class IsolatedListener {
    /// The listener's address inside the namespace (not loopback, not the machine's).
    public let address: String
    public let port = 8080
    private let namespace: String
    private let hostInterface: String
    private let record: URL
    private let listener: Process

    private init(namespace: String, hostInterface: String, address: String, record: URL, listener: Process) {
        self.namespace = namespace
        self.hostInterface = hostInterface
        self.address = address
        self.record = record
        self.listener = listener
    }

    /// Why a namespace cannot be made here (not root, no `ip`, no python3), or nil when it can be tried.
    public static var unavailableReason: String? {
        if geteuid() != 0 { return "network namespaces need root" }
        if !FileManager.default.isExecutableFile(atPath: ip) { return "iproute2 (\(ip)) is not installed" }
        if !FileManager.default.isExecutableFile(atPath: python) { return "\(python) is not installed" }
        return nil
    }

    /// Creates the namespace, the veth pair and the listener; throws `IsolatedListenerError` naming the step that
    /// failed (e.g. no permission to create a namespace in this container).
    public static func start() throws -> IsolatedListener {
        if let reason = unavailableReason { throw IsolatedListenerError(step: "prerequisites", output: reason) }
        let tag = String(UInt32.random(in: 0..<0xFF_FFFF), radix: 16)
        let namespace = "vmsnap-test-\(tag)"
        let (host, inside) = ("vsh\(tag)", "vsn\(tag)")
        let (octet2, octet3) = (Int.random(in: 160...199), Int.random(in: 0...255))
        let hostAddress = "10.\(octet2).\(octet3).1"
        let address = "10.\(octet2).\(octet3).2"
        let steps: [[String]] = [
            ["netns", "add", namespace],
            ["link", "add", host, "type", "veth", "peer", "name", inside],
            ["link", "set", inside, "netns", namespace],
            ["addr", "add", "\(hostAddress)/30", "dev", host],
            ["link", "set", host, "up"],
            ["-n", namespace, "addr", "add", "\(address)/30", "dev", inside],
            ["-n", namespace, "link", "set", inside, "up"],
            ["-n", namespace, "link", "set", "lo", "up"],
        ]
        for step in steps {
            let result = try ProcessOutput.runWaiting(URL(fileURLWithPath: ip), step)
            guard result.status == 0 else {
                remove(namespace: namespace, hostInterface: host)
                throw IsolatedListenerError(step: "ip " + step.joined(separator: " "), output: result.stderr)
            }
        }
        let record = FileManager.default.temporaryDirectory.appendingPathComponent("\(namespace).connections")
        guard FileManager.default.createFile(atPath: record.path, contents: nil) else {
            remove(namespace: namespace, hostInterface: host)
            throw IsolatedListenerError(step: "create \(record.path)", output: "")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = ["netns", "exec", namespace, python, "-c", script, address, "8080", record.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            remove(namespace: namespace, hostInterface: host)
            throw IsolatedListenerError(step: "start the listener", output: "\(error)")
        }
        let listener = IsolatedListener(
            namespace: namespace, hostInterface: host, address: address, record: record, listener: process)
        let deadline = Date().addingTimeInterval(10)
        while !listener.recorded.hasPrefix("listening\n") {
            guard Date() < deadline, process.isRunning else {
                listener.stop()
                throw IsolatedListenerError(step: "wait for the listener", output: listener.recorded)
            }
            usleep(20_000)
        }
        return listener
    }

    /// Every connection the listener accepted, with the first bytes it received (`connection: PUT /... HTTP/1.1`).
    public var connections: [String] {
        recorded.split(separator: "\n").dropFirst().map(String.init)
    }

    private var recorded: String { (try? String(contentsOf: record, encoding: .utf8)) ?? "" }

    /// Stops the listener and removes the namespace, the veth pair and the record.
    public func stop() {
        if listener.isRunning {
            // SIGKILL: a child spawned from a test thread inherits its blocked signals, SIGTERM among them.
            kill(listener.processIdentifier, SIGKILL)
            listener.waitUntilExit()
        }
        Self.remove(namespace: namespace, hostInterface: hostInterface)
        try? FileManager.default.removeItem(at: record)
    }

    private static func remove(namespace: String, hostInterface: String) {
        _ = try? ProcessOutput.runWaiting(URL(fileURLWithPath: ip), ["link", "del", hostInterface])
        _ = try? ProcessOutput.runWaiting(URL(fileURLWithPath: ip), ["netns", "del", namespace])
    }

    private static let ip = "/usr/sbin/ip"
    private static let python = "/usr/bin/python3"

    /// Accepts connections forever; appends one line per connection with the first request line it got.
    private static let script = """
        import socket, sys
        address, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((address, port))
        server.listen(64)
        open(path, "a").write("listening\\n")
        while True:
            connection, _ = server.accept()
            connection.settimeout(1)
            try:
                data = connection.recv(4096)
            except OSError:
                data = b""
            first = data.split(b"\\r\\n")[0].decode("latin-1")
            with open(path, "a") as record:
                record.write("connection: " + first + "\\n")
            connection.close()
        """
}

/// A step of setting up an `IsolatedListener` failed.
public struct IsolatedListenerError: Error, CustomStringConvertible {
    public var step: String
    public var output: String
    public var description: String { "\(step) failed: \(output)" }
}
