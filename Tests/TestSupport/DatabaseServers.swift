import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why a test database server could not be set up.
public struct DatabaseServerError: Error, CustomStringConvertible {
    public var description: String
}

/// A real database server a test starts as its own child process (workloads.md 3: no systemd, `--no-defaults` /
/// initdb + pg_ctl, data in a folder the test names, typically on a loop filesystem the job freezes; socket and log
/// in a scratch folder off that filesystem). Stop it with `stop()`.
public protocol TestDatabaseServer: Sendable {
    /// Runs `sql` as the superuser over the socket and returns its rows (tab-separated), failing on any error.
    func query(_ sql: String) throws -> String
    /// Starts `sql` in a session of its own in the background (e.g. a write that a quiesce must block).
    func startStatement(_ sql: String) throws -> StatementProbe
    /// The workload.conf lines that reach this server (engine, client folder, credentials, user).
    func workloadConf(timeoutSeconds: Int) -> String
    func stop()
}

/// A client process running one statement, whose completion a test can wait for.
public final class StatementProbe: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let process = Process()

    /// Runs the client with `script` on its stdin (no argument length limit), written from a thread of its own.
    init(_ executable: String, _ arguments: [String], script: String) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.terminationHandler = { [finished] _ in finished.signal() }
        try process.run()
        let writer = input.fileHandleForWriting
        Thread {
            try? writer.write(contentsOf: Data(script.utf8))
            try? writer.close()
        }.start()
    }

    /// Whether the statement finished successfully within `seconds` (true stays true on later calls).
    public func completed(within seconds: Double) -> Bool {
        guard finished.wait(timeout: .now() + seconds) == .success else { return false }
        finished.signal()
        return process.terminationStatus == 0
    }

    /// Ends the client (a statement that must not outlive the test).
    public func terminate() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        _ = completed(within: 5)
    }
}

/// Runs a program to completion as a test helper and returns its output, failing when it exits non-zero.
private func runChecked(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
    -> String
{
    let output = try ProcessOutput.runWaiting(URL(fileURLWithPath: executable), arguments, environment: environment)
    guard output.status == 0 else {
        throw DatabaseServerError(
            description: "\(executable) \(arguments.joined(separator: " ")): exit \(output.status): \(output.stderr)")
    }
    return output.stdout
}

/// Lets a server's OS account reach its data folder under `dataParent` (a test's mount, inside a private 0700 folder).
private func openTraversal(to dataParent: String) {
    chmod(dataParent, 0o711)
    let parent = (dataParent as NSString).deletingLastPathComponent
    let temporary = URL(fileURLWithPath: NSTemporaryDirectory()).standardizedFileURL.path
    // Only the test's own folder: never the shared temporary directory itself.
    if (parent as NSString).lastPathComponent.hasPrefix("vmsnap-") && parent != temporary {
        chmod(parent, 0o711)
    }
}

/// Starts a server process as a child of the test (so it is reaped when it stops: a zombie keeps its pid file alive),
/// its stderr into the file `log` when given.
private func startServer(_ executable: String, _ arguments: [String], log: String? = nil) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    if let log {
        guard FileManager.default.createFile(atPath: log, contents: nil),
            let handle = FileHandle(forWritingAtPath: log)
        else { throw DatabaseServerError(description: "cannot create the server log \(log)") }
        process.standardError = handle
    }
    try process.run()
    return process
}

/// Polls `ready` every 50 ms for up to `seconds`.
private func waitUntil(seconds: Double, _ ready: () -> Bool) -> Bool {
    let limit = Date().addingTimeInterval(seconds)
    while Date() < limit {
        if ready() { return true }
        usleep(50_000)
    }
    return ready()
}

/// A MariaDB server (`mariadbd --no-defaults`) with its data directory under `dataParent`.
public final class MariaDBServer: TestDatabaseServer, @unchecked Sendable {
    public static let client = "/usr/bin/mariadb"
    public let socket: String
    public let port: Int
    private let process: Process
    private let scratch: String

    /// A password account with RELOAD over TCP (root uses unix_socket auth), for credential tests.
    public static let backupUser = "vmsnap_bk"
    public static let backupPassword = "Pw-for-vmsnap-9"

    /// Whether the packages are installed (scripts/install-test-tools installs them).
    public static var installed: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/mariadbd") }

    private init(process: Process, socket: String, port: Int, scratch: String) {
        self.process = process
        self.socket = socket
        self.port = port
        self.scratch = scratch
    }

    /// Initialises a data directory under `dataParent` and starts the server on a free-ish port.
    public static func start(dataParent: String) throws -> MariaDBServer {
        try start(dataParent: dataParent, initialise: true)
    }

    /// Starts a server on the data directory under `dataParent` (initialised first unless it exists, e.g. a
    /// restored copy, which starts with crash recovery), with a socket and port of its own (`port` picks another one
    /// for a second server of the same kind, e.g. a replication primary) and `options` added to mariadbd's.
    public static func start(
        dataParent: String, initialise: Bool, port: Int? = nil, options: [String] = []
    ) throws -> MariaDBServer {
        let scratch = NSTemporaryDirectory() + "vmsnap-maria-\(UUID().uuidString.prefix(8))"
        let data = dataParent + "/maria"
        openTraversal(to: dataParent)
        for folder in [scratch, data] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            _ = try runChecked("/bin/chown", ["mysql:mysql", folder])
        }
        let sizing = ["--innodb-log-file-size=16M", "--innodb-buffer-pool-size=32M"]
        if initialise {
            try initialiseDataDirectory(data + "/data", sizing: sizing)
        }
        let socket = scratch + "/mysqld.sock"
        let port = port ?? 23_000 + Int(getpid() % 5000) + (initialise ? 0 : 1)
        let process = try startServer(
            "/usr/sbin/mariadbd",
            [
                "--no-defaults", "--datadir=\(data)/data", "--socket=\(socket)", "--port=\(port)",
                "--bind-address=127.0.0.1", "--user=mysql", "--pid-file=\(scratch)/mariadbd.pid",
                "--log-error=\(scratch)/error.log",
            ] + sizing + options)
        let server = MariaDBServer(process: process, socket: socket, port: port, scratch: scratch)
        guard waitUntil(seconds: 30, { (try? server.query("SELECT 1")) != nil }) else {
            server.stop()
            throw DatabaseServerError(description: "mariadbd did not accept connections within 30 s")
        }
        if initialise {
            _ = try server.query(
                "CREATE USER '\(backupUser)'@'127.0.0.1' IDENTIFIED BY '\(backupPassword)'; GRANT RELOAD ON *.* TO '\(backupUser)'@'127.0.0.1';"
            )
        }
        return server
    }

    private static func initialiseDataDirectory(_ directory: String, sizing: [String]) throws {
        _ = try runChecked(
            "/usr/bin/mariadb-install-db",
            [
                "--no-defaults", "--user=mysql", "--datadir=\(directory)", "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ] + sizing)
    }

    private var rootArguments: [String] {
        ["--no-defaults", "-uroot", "-S", socket, "--batch", "--skip-column-names"]
    }

    public func query(_ sql: String) throws -> String {
        try runChecked(Self.client, rootArguments + ["-e", sql])
    }

    public func startStatement(_ sql: String) throws -> StatementProbe {
        try StatementProbe(Self.client, rootArguments, script: sql)
    }

    /// Connects over TCP as the password account: exercises credString, MYSQL_PWD and `--no-defaults` first.
    public func workloadConf(timeoutSeconds: Int) -> String {
        """
        [workload]
        workload_name = mariadb
        command_path = /usr/bin
        credString = -u \(Self.backupUser) -p\(Self.backupPassword) -h 127.0.0.1 -P \(port)
        linux_user =
        timeout = \(timeoutSeconds)
        ipc_folder =

        """
    }

    public func stop() {
        if process.isRunning {
            _ = try? query("SHUTDOWN")
            if !waitUntil(seconds: 20, { !process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: scratch)
    }
}

/// A PostgreSQL 15 cluster (initdb + pg_ctl as user postgres, trust authentication over its socket).
public final class PostgresServer: TestDatabaseServer, @unchecked Sendable {
    public static let binaries = "/usr/lib/postgresql/15/bin"
    public let socketDirectory: String
    public let port: Int
    private let data: String
    private let process: Process
    private let scratch: String

    /// Whether the packages are installed (scripts/install-test-tools installs them).
    public static var installed: Bool { FileManager.default.isExecutableFile(atPath: binaries + "/postgres") }

    private init(process: Process, data: String, socketDirectory: String, port: Int, scratch: String) {
        self.process = process
        self.data = data
        self.socketDirectory = socketDirectory
        self.port = port
        self.scratch = scratch
    }

    /// Runs initdb under `dataParent` and starts the postmaster as a child of the test.
    public static func start(dataParent: String) throws -> PostgresServer {
        try start(dataParent: dataParent, initialise: true)
    }

    /// Starts the postmaster on the data directory under `dataParent` (initialised first unless it exists, e.g. a
    /// restored copy, which starts with crash recovery), with a socket and port of its own.
    public static func start(dataParent: String, initialise: Bool) throws -> PostgresServer {
        let scratch = NSTemporaryDirectory() + "vmsnap-pg-\(UUID().uuidString.prefix(8))"
        let data = dataParent + "/pg"
        openTraversal(to: dataParent)
        for folder in [scratch, data] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            _ = try runChecked("/bin/chown", ["postgres:postgres", folder])
        }
        if initialise {
            _ = try runChecked(
                "/usr/sbin/runuser",
                [
                    "-u", "postgres", "--", binaries + "/initdb", "-D", data + "/data", "-U", "postgres", "-A",
                    "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
                ])
        }
        let port = 28_000 + Int(getpid() % 5000) + (initialise ? 0 : 1)
        // setpriv execs (runuser would stay as a parent): the test's child is the postmaster itself.
        let process = try startServer(
            "/usr/bin/setpriv",
            [
                "--reuid=postgres", "--regid=postgres", "--init-groups", "--", binaries + "/postgres", "-D",
                data + "/data", "-p", String(port), "-k",
                scratch, "-c", "listen_addresses=", "-c", "logging_collector=off",
            ], log: scratch + "/server.log")
        let server = PostgresServer(
            process: process, data: data + "/data", socketDirectory: scratch, port: port, scratch: scratch)
        guard waitUntil(seconds: 30, { (try? server.query("SELECT 1")) != nil }) else {
            server.stop()
            throw DatabaseServerError(description: "postgres did not accept connections within 30 s")
        }
        return server
    }

    private var clientArguments: [String] {
        ["-h", socketDirectory, "-p", String(port), "-U", "postgres", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    }

    public func query(_ sql: String) throws -> String {
        try runChecked("/usr/bin/psql", clientArguments + ["-c", sql])
    }

    public func startStatement(_ sql: String) throws -> StatementProbe {
        try StatementProbe("/usr/bin/psql", clientArguments, script: sql)
    }

    /// Runs pgbench (as the superuser over the socket) with `arguments`, e.g. `-i -s 1` to create the TPC-B tables.
    public func pgbench(_ arguments: [String]) throws -> String {
        try runChecked(
            Self.binaries + "/pgbench",
            ["-h", socketDirectory, "-p", String(port), "-U", "postgres"] + arguments + ["postgres"])
    }

    /// Starts pgbench's TPC-B writer with `arguments` (e.g. clients and a rate) for up to ten minutes; the test ends it.
    public func startPgbenchWriter(_ arguments: [String]) throws -> StatementProbe {
        try StatementProbe(
            Self.binaries + "/pgbench",
            ["-h", socketDirectory, "-p", String(port), "-U", "postgres", "-n", "-T", "600"] + arguments + ["postgres"],
            script: "")
    }

    /// The server's log (crash recovery messages of a restored copy).
    public var serverLog: String {
        (try? String(contentsOfFile: scratch + "/server.log", encoding: .utf8)) ?? ""
    }

    /// Runs psql as the OS user postgres (linux_user) over the socket.
    public func workloadConf(timeoutSeconds: Int) -> String {
        """
        [workload]
        workload_name = postgres
        credString = -h \(socketDirectory) -p \(port) -U postgres
        linux_user = postgres
        timeout = \(timeoutSeconds)

        """
    }

    public func stop() {
        if process.isRunning {
            _ = try? runChecked(
                "/usr/sbin/runuser",
                ["-u", "postgres", "--", Self.binaries + "/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"])
            if !waitUntil(seconds: 20, { !process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: scratch)
    }
}

/// Runs blocking work (waiting for processes, sleeping, copying) on a thread of its own, so it never holds one of
/// the few threads of the cooperative pool that concurrently running jobs (of this and other suites) need.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
