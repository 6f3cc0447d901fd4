import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How the database guard talks to one engine: the client's argv and environment, the statements it sends and the
/// marker rows that confirm each step (workloads.md 2.2 and 2.3).
///
/// MySQL: `FLUSH TABLES WITH READ LOCK` held by the session; MariaDB: `BACKUP STAGE START` + `BACKUP STAGE
/// BLOCK_COMMIT` (MariaDB's recipe for storage snapshots: statements keep running, only commits wait). Both are
/// session-scoped, `lock_wait_timeout` bounds their wait and `wait_timeout` cuts the idle session on the server should
/// the guard hang; `UNLOCK TABLES` / `BACKUP STAGE END` in the same session.
/// PostgreSQL: `CHECKPOINT` under `statement_timeout` (crash recovery of the frozen image then replays only what came
/// after it), the session held open until the release with `idle_session_timeout` as the server-side bound. No
/// statement changes global or persistent server state.
struct QuiesceSession: Sendable, Equatable {
    /// The program run (the client, or setpriv running it as `linux_user`).
    var executable: String
    var arguments: [String]
    /// Variables added to the client's environment (the password, the connect timeout, HOME of `linux_user`).
    var environment: [String: String]
    var engine: DatabaseEngine
    /// Sent first: its marker proves the client connected and authenticated.
    var probe: String
    /// Sent once connected: takes the quiesce and prints `lockedMarker`.
    var quiesce: String
    /// Sent at the release: ends the quiesce in the same session and prints `unlockedMarker`.
    var release: String
    /// Whether the quiesce begins with STOP REPLICA (`role = slave`): global state every path must undo.
    var stopsReplication = false
    /// MySQL/MariaDB: restarts replication (in a session of its own) and prints `replicatingMarker`; after a quiesce
    /// that stopped it, and at start-up when a guard that died left it stopped.
    var replicationRestart: String?

    static let connectedMarker = "vmsnap-connected"
    static let lockedMarker = "vmsnap-locked"
    static let unlockedMarker = "vmsnap-unlocked"
    static let replicatingMarker = "vmsnap-replicating"

    /// Why no session can be made: the code and message of the database stage.
    struct Refusal: Error, Equatable {
        var code: ResultCode
        var message: String
    }

    /// The session for `conf`; `lockWait` bounds the quiesce's wait for locks, `serverTimeout` is the server-side
    /// idle limit (the guard's deadline plus a margin), `connectTimeout` the client's connection limit.
    init(
        conf: WorkloadConf, lockWait: Duration, serverTimeout: Duration, connectTimeout: Duration,
        searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    ) throws(Refusal) {
        guard let engine = conf.engine else { throw Refusal(code: 503, message: "workload.conf names no engine") }
        self.engine = engine
        let instance = engine == .oracle ? try OracleInstance.read(conf.configurationPath) : nil
        let clientFolder = conf.commandPath ?? instance.map { $0.home + "/bin" }
        let client = try Self.locate(engine.clientName, in: clientFolder, searchPath: searchPath)
        let lockSeconds = max(1, Int(lockWait.components.seconds))
        let serverSeconds = max(1, Int(serverTimeout.components.seconds))
        let connectSeconds = max(1, Int(connectTimeout.components.seconds))
        var clientArguments: [String]
        environment = [:]
        probe = "SELECT '\(Self.connectedMarker)';\n"
        switch engine {
        case .mysql, .mariadb:
            // The mandatory leading option: --no-defaults, or the option file credString names (it must come first).
            let optionFile = conf.credentialArguments.first {
                $0.hasPrefix("--defaults-file=") || $0.hasPrefix("--defaults-extra-file=")
            }
            clientArguments =
                [optionFile ?? "--no-defaults"] + conf.credentialArguments.filter { $0 != optionFile }
                + ["--batch", "--skip-column-names", "--unbuffered", "--connect-timeout=\(connectSeconds)"]
            if let password = conf.password { environment["MYSQL_PWD"] = password }
            let (take, end) =
                engine == .mariadb
                ? ("BACKUP STAGE START; BACKUP STAGE BLOCK_COMMIT;", "BACKUP STAGE END;")
                : ("FLUSH TABLES WITH READ LOCK;", "UNLOCK TABLES;")
            // STOP REPLICA waits for the replication threads to stop (the peer's SLEEP(5) is not needed); the spelling
            // of MySQL >= 8.0.22 and MariaDB >= 10.5.1.
            stopsReplication = conf.role == .slave
            quiesce =
                "SET SESSION lock_wait_timeout=\(lockSeconds); SET SESSION wait_timeout=\(serverSeconds); "
                + (stopsReplication ? "STOP REPLICA; " : "") + "\(take) SELECT '\(Self.lockedMarker)';\n"
            release = "\(end) SELECT '\(Self.unlockedMarker)';\n"
            replicationRestart = "START REPLICA; SELECT '\(Self.replicatingMarker)';\n"
        case .postgres:
            clientArguments = conf.credentialArguments + ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
            environment["PGCONNECT_TIMEOUT"] = String(connectSeconds)
            environment["PGAPPNAME"] = "vmsnap"
            if let password = conf.password { environment["PGPASSWORD"] = password }
            quiesce =
                "SET statement_timeout = '\(lockSeconds)s'; "
                + "SELECT set_config('idle_session_timeout', '\(serverSeconds)s', false) "
                + "WHERE current_setting('server_version_num')::int >= 140000; "
                + "CHECKPOINT; SELECT '\(Self.lockedMarker)';\n"
            release = "SELECT '\(Self.unlockedMarker)';\n"
        case .oracle:
            // Operating-system authentication as linux_user (Microsoft's guide: SYSBACKUP through the backupdba
            // group); BEGIN BACKUP is not session-scoped, so a backup mode a dead job left is ended first.
            clientArguments = ["-S", "-L", "/nolog"] + conf.credentialArguments
            if let instance {
                environment["ORACLE_SID"] = instance.sid
                environment["ORACLE_HOME"] = instance.home
                environment["PATH"] = instance.home + "/bin:" + searchPath
            }
            probe =
                "WHENEVER SQLERROR EXIT FAILURE\nCONNECT / AS SYSBACKUP\n"
                + "BEGIN FOR r IN (SELECT 1 FROM v$backup WHERE status = 'ACTIVE' AND ROWNUM = 1) LOOP "
                + "EXECUTE IMMEDIATE 'ALTER DATABASE END BACKUP'; END LOOP; END;\n/\n"
                + "PROMPT \(Self.connectedMarker)\n"
            quiesce =
                "ALTER SYSTEM ARCHIVE LOG CURRENT;\nALTER DATABASE BEGIN BACKUP;\nPROMPT \(Self.lockedMarker)\n"
            release = "ALTER DATABASE END BACKUP;\nPROMPT \(Self.unlockedMarker)\n"
        }
        (executable, arguments) = (client, clientArguments)
        if let user = conf.linuxUser, user != Self.currentUserName {
            guard let account = getpwnam(user) else {
                throw Refusal(code: 505, message: "linux_user \(user) is no account on this machine")
            }
            environment["HOME"] = String(cString: account.pointee.pw_dir)
            executable = Self.setpriv
            arguments =
                [
                    "--reuid=\(account.pointee.pw_uid)", "--regid=\(account.pointee.pw_gid)", "--init-groups", "--",
                    client,
                ] + clientArguments
        }
    }

    /// util-linux's setpriv: runs the client as `linux_user` without a shell or a login.
    static let setpriv = "/usr/bin/setpriv"

    private static var currentUserName: String? {
        getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) }
    }

    /// `command_path/name`, else the first `name` on the search path.
    private static func locate(_ name: String, in folder: String?, searchPath: String) throws(Refusal) -> String {
        let candidates =
            folder.map { [($0 as NSString).appendingPathComponent(name)] }
            ?? searchPath.split(separator: ":").map { ($0 as NSString).appendingPathComponent(name) }
        guard let found = candidates.first(where: { access($0, X_OK) == 0 }) else {
            let place = folder.map { "command_path \($0)" } ?? "PATH"
            throw Refusal(code: 506, message: "the client \(name) is not in \(place)")
        }
        return found
    }

    /// Whether closing the session ends the quiesce (the server drops session locks); false for Oracle's BEGIN
    /// BACKUP, which every release path must end with END BACKUP.
    var endsWithTheSession: Bool { engine != .oracle }

    /// The code of a failure the client printed while the quiesce was being taken: a lock or statement timeout is
    /// 509 (the quiesce could not be had in time), Oracle in NOARCHIVELOG mode 511, anything else 500.
    static func acquireFailureCode(_ output: String) -> ResultCode {
        // ORA-01123: no online backup without media recovery; ORA-00258: no ARCHIVE LOG CURRENT in NOARCHIVELOG.
        if output.contains("ORA-01123") || output.contains("ORA-00258") { return 511 }
        let timedOut = ["ERROR 1205", "Lock wait timeout", "statement timeout"].contains { output.contains($0) }
        return timedOut ? 509 : 500
    }
}

/// The Oracle instance an oratab-format file (`configuration_path`, e.g. /etc/oratab) names: `SID:ORACLE_HOME[:...]`
/// lines, `#` comments and `+ASM` entries skipped.
struct OracleInstance: Equatable {
    var sid: String
    var home: String

    /// The file's one instance; nil without a file (linux_user's environment names it). More than one is refused:
    /// one guard session quiesces one instance.
    static func read(_ path: String?) throws(QuiesceSession.Refusal) -> OracleInstance? {
        guard let path else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QuiesceSession.Refusal(code: 501, message: "configuration_path \(path) cannot be read")
        }
        let instances = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.trimmingCharacters(in: .whitespaces).split(
                separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 2, !fields[0].hasPrefix("#"), !fields[0].hasPrefix("+ASM"), !fields[0].isEmpty else {
                return nil as OracleInstance?
            }
            return OracleInstance(sid: String(fields[0]), home: String(fields[1]))
        }
        guard instances.count == 1 else {
            throw QuiesceSession.Refusal(
                code: 501,
                message: "configuration_path \(path) names \(instances.count) instances: vmsnap quiesces exactly one")
        }
        return instances[0]
    }
}
