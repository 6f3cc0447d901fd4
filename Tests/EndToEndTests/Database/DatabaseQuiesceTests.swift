import Core
import Emulator
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a test saw while the database was quiesced and every mount frozen.
private struct Quiesced: Sendable {
    var writer: StatementProbe
    /// How many sessions waited for the backup lock.
    var waiting: String
    var commandLines: String
    /// `COUNT(*), SUM(amount)` of the ledger under the lock.
    var committed: String?
    /// The data filesystem's image, copied while frozen.
    var image: String?
    var copiedAt: Date
}

/// Database-consistent snapshots against real MariaDB and PostgreSQL servers whose data lives on a loop-mounted
/// ext4 the job freezes (workloads.md 2.6). Each server is started once per test and serves every scenario of it.
@Suite(.serialized)
struct DatabaseQuiesceTests {
    /// A fresh loop filesystem with `server` on it, its mount point, a private folder for workload.conf and the lock.
    private func withServer<Server: TestDatabaseServer>(
        _ start: @escaping @Sendable (String) throws -> Server,
        _ body: (Server, LoopFilesystem, String, String) async throws -> Void
    ) async throws {
        // Images in memory: the servers' fsyncs and the image copy stay off the host disk that other suites'
        // freezes flush through.
        let filesystems = try LoopFilesystem.create(count: 1, megabytes: 128, imageDirectory: "/dev/shm")
        defer { filesystems.forEach { $0.remove() } }
        let mount = try LoopFilesystem.testOwnedMounts(filesystems)[0]
        let folder = NSTemporaryDirectory() + "vmsnap-db-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try await offThePool { try start(mount) }
        do {
            try await body(server, filesystems[0], mount, folder)
        } catch {
            _ = try? await offThePool { server.stop() }
            throw error
        }
        try await offThePool { server.stop() }
    }

    /// Writes `server`'s workload.conf, changed by `edit`, (mode 600) into `folder` as `name`.
    private func writeConf(
        _ server: some TestDatabaseServer, in folder: String, name: String = "workload.conf", timeoutSeconds: Int = 90,
        edit: (String) -> String = { $0 }
    ) throws -> String {
        let path = folder + "/" + name
        try Data(edit(server.workloadConf(timeoutSeconds: timeoutSeconds)).utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        return path
    }

    /// One in-process job freezing `mount` and quiescing through the built binary's database guard.
    /// `whileQuiesced` runs once every mount is frozen (the quiesce holds then); its value is returned. With
    /// `holdSnapshots` the snapshot answers wait until it has returned, however long it takes on a loaded machine.
    private func runJob<Observed: Sendable>(
        mount: String, folder: String, conf: String, engine: DatabaseEngine, holdSnapshots: Bool = false,
        lockWait: Duration = .seconds(2), whileQuiesced: @escaping @Sendable () -> Observed? = { nil as Int? }
    ) async throws -> (JobResult, [StageRecord], log: String, observed: Observed?) {
        let scenario = try await SnapshotScenario.start(disks: 1)
        if holdSnapshots { scenario.emulator.setFaults([FaultRule(operation: .snapshot, action: .hold)]) }
        // The quiesce (90 s) bounds the snapshots inside it: room for the observations on a loaded CI machine.
        var options = scenario.options()
        options.freezer = GuardedFreezer(
            mounts: [mount], guardExecutable: BuiltBinary.vmsnap.path, lockPath: folder + "/SafeFreezeLockFile")
        options.database = .quiesce(
            GuardedQuiescer(
                workloadConfPath: conf, engine: engine, guardExecutable: BuiltBinary.vmsnap.path,
                timeout: .seconds(90), lockWait: lockWait))
        let job = SnapshotJob(settings: try scenario.settings(), options: options)
        let freezeGuard = ["freeze-guard", folder + "/SafeFreezeLockFile"]
        let observer = Task { () -> ([StageRecord], Observed?) in
            var records: [StageRecord] = []
            var observed: Observed?
            for await event in job.events {
                guard case .stage(let record) = event else { continue }
                records.append(record)
                if record.stage == .database && record.state == .running {
                    // Prepared before the quiesce: the guard holds the freeze lock before the database is touched.
                    #expect(Self.processID(runningWith: freezeGuard) != nil, "no freeze guard before the quiesce")
                }
                if record.stage == .freeze && record.state == .succeeded {
                    observed = try? await offThePool(whileQuiesced)
                    scenario.emulator.setFaults([])
                }
            }
            return (records, observed)
        }
        let result = await job.run()
        let (records, observed) = await observer.value
        let log = (try? String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8)) ?? ""
        // The status blob tells the same story: its database stage, and the consistency the code claims.
        let document = try #require(try await scenario.finalStatusDocument(), "no final status blob")
        let blobStage = document.status.progress?.stages.last { $0.stage == .database }
        #expect(blobStage?.state == records.last { $0.stage == .database }?.state)
        #expect(blobStage?.detail == records.last { $0.stage == .database }?.detail)
        let consistency = document.status.telemetryData.first { $0.key == "consistencyType" }?.value
        #expect(consistency == (result.code == 0 ? "application" : "filesystem"), "code \(result.code)")
        try await scenario.stop()
        return (result, records, log, observed)
    }

    /// Every process's command line, for the check that no password is visible to `ps`.
    private func allCommandLines() -> String {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.compactMap { pid in
            FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self) }
        }.joined(separator: "\n")
    }

    @Test func mariadbIsHeldByTheGuardsSessionOnlyInsideTheWindowAndReleasedOnEveryPath() async throws {
        try #require(MariaDBServer.installed, "mariadb-server is missing: run scripts/install-test-tools")
        try await withServer(MariaDBServer.start(dataParent:)) { server, filesystem, mount, folder in
            _ = try server.query(
                "CREATE DATABASE app; CREATE TABLE app.ledger (id INT AUTO_INCREMENT PRIMARY KEY, amount INT) ENGINE=InnoDB; INSERT INTO app.ledger (amount) VALUES (1);"
            )
            let conf = try writeConf(server, in: folder)
            let insert = "INSERT INTO app.ledger (amount) VALUES (2)"

            // 1. The quiesce blocks writers only while it holds, is taken in the guard's session, shows no
            //    password to ps, and the image copied while frozen restores to exactly the commits before the lock.
            // A writer that keeps committing, about a hundred rows a second (sparing the shared CPUs), until the test
            // ends it.
            let stream = try server.startStatement(
                (0..<100_000).map { "INSERT INTO app.ledger (amount) VALUES (\($0 % 7 + 1)); DO SLEEP(0.01);" }.joined()
            )
            defer { stream.terminate() }
            usleep(300_000)
            let (result, records, log, observed) = try await runJob(
                mount: mount, folder: folder, conf: conf, engine: .mariadb, holdSnapshots: true
            ) { () -> Quiesced? in
                guard let writer = try? server.startStatement(insert) else { return nil }
                usleep(300_000)
                // The writes wait for BACKUP STAGE BLOCK_COMMIT (MariaDB's "backup lock"), not for the freeze.
                let waiting = try? server.query(
                    "SELECT COUNT(*) FROM information_schema.processlist WHERE state = 'Waiting for backup lock'")
                let committed = try? server.query("SELECT COUNT(*), SUM(amount) FROM app.ledger")
                let image = try? filesystem.copyImage(into: "/dev/shm")
                return Quiesced(
                    writer: writer, waiting: waiting ?? "", commandLines: allCommandLines(), committed: committed,
                    image: image, copiedAt: Date())
            }
            #expect(result.code == 0, "\(result.message)")
            #expect(result.verdict == .succeeded)
            let database = try #require(records.last { $0.stage == .database })
            #expect(database.state == .succeeded && database.detail.contains("writes blocked"))
            #expect(database.detail.contains("BACKUP STAGE BLOCK_COMMIT"), "\(database.detail)")
            let window = try #require(result.databaseWindowMilliseconds)
            let freezeWindow = try #require(result.freezeWindowMilliseconds)
            #expect(window > freezeWindow, "the quiesce (\(window) ms) must span the freeze (\(freezeWindow) ms)")
            let quiesced = try #require(observed, "no writer could be started while quiesced")
            let lines = quiesced.commandLines
            #expect(
                quiesced.waiting.trimmingCharacters(in: .whitespacesAndNewlines) == "2",
                "both writes must wait for the lock")
            let writerDone = try await offThePool { quiesced.writer.completed(within: 1) }
            #expect(writerDone, "the writer blocked inside the window did not complete after it")
            let thawStarted = try #require(records.first { $0.stage == .thaw }?.startedAt)
            #expect(quiesced.copiedAt < thawStarted, "the image copy did not end inside the freeze")
            stream.terminate()
            let restored = try RestoredImage.mount(try #require(quiesced.image))
            defer { restored.remove() }
            let copy = try await offThePool {
                try MariaDBServer.start(dataParent: restored.mountPoint, initialise: false)
            }
            defer { copy.stop() }
            let committed = try #require(quiesced.committed)
            #expect(
                try copy.query("SELECT COUNT(*), SUM(amount) FROM app.ledger") == committed,
                "the restored copy must hold exactly the commits made before the lock")
            #expect(
                try server.query("SELECT @@global.read_only").trimmingCharacters(in: .whitespacesAndNewlines) == "0")
            #expect(lines.contains("database-guard"), "the guard was not running while quiesced")
            #expect(!lines.contains(MariaDBServer.backupPassword), "the password was on a command line")
            #expect(!log.contains(MariaDBServer.backupPassword), "the password reached extension.log")

            // 1b. workload_name = mysql: FLUSH TABLES WITH READ LOCK in the guard's session (Debian's `mysql` is the
            //     MariaDB client), the write waiting for it inside the window and going through after it.
            let mysqlConf = try writeConf(server, in: folder, name: "mysql.conf") {
                $0.replacingOccurrences(of: "workload_name = mariadb", with: "workload_name = mysql")
            }
            let (locked, lockedRecords, _, lockedWriter) = try await runJob(
                mount: mount, folder: folder, conf: mysqlConf, engine: .mysql, holdSnapshots: true
            ) { () -> (StatementProbe, waiting: String?)? in
                guard let writer = try? server.startStatement(insert) else { return nil }
                usleep(300_000)
                return (
                    writer,
                    try? server.query(
                        "SELECT COUNT(*) FROM information_schema.processlist WHERE state = 'Waiting for backup lock'")
                )
            }
            #expect(locked.code == 0, "\(locked.message)")
            let lockedStage = try #require(lockedRecords.last { $0.stage == .database })
            #expect(lockedStage.detail.contains("FLUSH TABLES WITH READ LOCK"), "\(lockedStage.detail)")
            let blockedByLock = try #require(lockedWriter, "no writer could be started while quiesced")
            #expect(blockedByLock.waiting?.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
            #expect(try await offThePool { blockedByLock.0.completed(within: 1) }, "the write stayed blocked")

            // 2. A session holding a table lock: the quiesce fails with 509 within its lock wait, nothing stays
            //    locked, and the job still snapshots (filesystem-consistent, health 509).
            let holder = try server.startStatement("LOCK TABLES app.ledger WRITE; SELECT SLEEP(60)")
            defer { holder.terminate() }
            usleep(300_000)
            let started = Date()
            let (blocked, blockedRecords, _, _) = try await runJob(
                mount: mount, folder: folder, conf: conf, engine: .mariadb, lockWait: .seconds(1))
            let took = Date().timeIntervalSince(started)
            #expect(blocked.code == 1 && blocked.healthStatusCode == 509, "\(blocked.code) \(blocked.message)")
            #expect(blocked.message.contains("FailedWorkloadQuiescingError"))
            #expect(blocked.verdict == .warning)
            #expect(blockedRecords.last { $0.stage == .database }?.state == .failed)
            #expect(took < 15, "the failing quiesce took \(took) s")
            let guardSessions =
                "SELECT COUNT(*) FROM information_schema.processlist WHERE user = '\(MariaDBServer.backupUser)'"
            #expect(try server.query(guardSessions).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
            // The holder's session sleeps: the server would notice its dead client only at its next check. End it.
            for id in try server.query(
                "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(60)%'"
            ).split(separator: "\n") {
                _ = try? server.query("KILL \(id)")
            }
            let unlocked = try await offThePool { try server.startStatement(insert).completed(within: 2) }
            #expect(unlocked, "a lock stayed after the failed quiesce")
            #expect(
                try server.query("SELECT @@global.read_only").trimmingCharacters(in: .whitespacesAndNewlines) == "0")

            // 3. SIGKILL of the job process while quiesced and frozen releases the database within 1 s.
            try await killJobWhileQuiesced(server: server, mount: mount, folder: folder, conf: conf, write: insert)
        }
    }

    /// The TPC-B invariants of pgbench's tables: every transaction adds the same delta to one account, teller and
    /// branch and inserts it into the history, so the four sums are equal in any transaction-consistent state.
    private struct PgbenchLedger: Equatable, CustomStringConvertible {
        var accounts: Int
        var tellers: Int
        var branches: Int
        var history: Int
        var transactions: Int

        static let query =
            "SELECT (SELECT sum(abalance) FROM pgbench_accounts), (SELECT sum(tbalance) FROM pgbench_tellers), "
            + "(SELECT sum(bbalance) FROM pgbench_branches), (SELECT coalesce(sum(delta), 0) FROM pgbench_history), "
            + "(SELECT count(*) FROM pgbench_history)"

        /// The query's row (`a|t|b|h|n`); nil when it is not one.
        init?(_ row: String) {
            let fields = row.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").compactMap {
                Int($0)
            }
            guard fields.count == 5 else { return nil }
            (accounts, tellers, branches, history, transactions) = (
                fields[0], fields[1], fields[2], fields[3], fields[4]
            )
        }

        var balanced: Bool { accounts == tellers && tellers == branches && branches == history }
        var description: String {
            "accounts \(accounts), tellers \(tellers), branches \(branches), history \(history) "
                + "(\(transactions) transactions)"
        }
    }

    @Test func postgresImageCopiedWhileFrozenRecoversWithThePgbenchSumsIntact() async throws {
        try #require(PostgresServer.installed, "postgresql is missing: run scripts/install-test-tools")
        try await withServer(PostgresServer.start(dataParent:)) { server, filesystem, mount, folder in
            _ = try await offThePool { try server.pgbench(["-i", "-s", "1", "-q"]) }
            let conf = try writeConf(server, in: folder)
            // pgbench's TPC-B writer commits about 100 transactions a second (sparing the shared CPUs) through the job.
            let writer = try server.startPgbenchWriter(["-c", "2", "-j", "1", "-R", "100"])
            defer { writer.terminate() }
            try await Task.sleep(for: .milliseconds(500))
            let before = try #require(PgbenchLedger(try server.query(PgbenchLedger.query)))
            let (result, records, _, observed) = try await runJob(
                mount: mount, folder: folder, conf: conf, engine: .postgres, holdSnapshots: true
            ) { () -> (ledger: String?, image: String?)? in
                // No commit completes while the WAL's filesystem is frozen: what is visible now was committed before.
                let ledger = try? server.query(PgbenchLedger.query)
                return (ledger, try? filesystem.copyImage(into: "/dev/shm"))
            }
            #expect(result.code == 0, "\(result.message)")
            let database = try #require(records.last { $0.stage == .database })
            #expect(database.state == .succeeded && database.detail.contains("CHECKPOINT"))
            let after = try #require(PgbenchLedger(try server.query(PgbenchLedger.query)))
            writer.terminate()
            let frozen = try #require(
                observed?.ledger.flatMap(PgbenchLedger.init), "the ledger could not be read while frozen")
            #expect(frozen.balanced, "\(frozen)")
            #expect(
                before.transactions < frozen.transactions && frozen.transactions < after.transactions,
                "the writer was not committing through the job: \(before) / \(frozen) / \(after)")

            // A restore: the original is gone, the copy is mounted and started, and PostgreSQL recovers it from the
            // WAL as after a power cut at the freeze.
            let restored = try RestoredImage.mount(try #require(observed?.image, "no image was copied while frozen"))
            defer { restored.remove() }
            try await offThePool { server.stop() }
            // The original's pid file came along in the image; its postmaster is stopped and reaped.
            try FileManager.default.removeItem(atPath: restored.mountPoint + "/pg/data/postmaster.pid")
            let copy = try await offThePool {
                try PostgresServer.start(dataParent: restored.mountPoint, initialise: false)
            }
            defer { copy.stop() }
            #expect(
                copy.serverLog.contains("not properly shut down; automatic recovery in progress"),
                "the copy did not start with crash recovery: \(copy.serverLog)")
            let recovered = try #require(PgbenchLedger(try copy.query(PgbenchLedger.query)))
            #expect(recovered.balanced, "the restored copy broke the TPC-B invariants: \(recovered)")
            #expect(
                frozen.transactions <= recovered.transactions && recovered.transactions <= after.transactions,
                "the copy must hold every transaction committed before the freeze: \(frozen) / \(recovered) / \(after)"
            )
        }
    }

    /// Whether `replica` reports `Slave_running` as `state` (ON / OFF) within 5 s.
    private func replication(of replica: MariaDBServer, is state: String) async throws -> Bool {
        try await offThePool {
            let limit = Date().addingTimeInterval(5)
            repeat {
                if (try? replica.query("SHOW STATUS LIKE 'Slave_running'"))?.contains("\t\(state)") == true {
                    return true
                }
                usleep(50_000)
            } while Date() < limit
            return false
        }
    }

    /// Whether `replica` holds `rows` ledger rows within 5 s (the primary's writes arrived).
    private func replicated(_ replica: MariaDBServer, rows: Int) async throws -> Bool {
        try await offThePool {
            let limit = Date().addingTimeInterval(5)
            repeat {
                let count = try? replica.query("SELECT COUNT(*) FROM app.ledger")
                if count?.trimmingCharacters(in: .whitespacesAndNewlines) == String(rows) { return true }
                usleep(50_000)
            } while Date() < limit
            return false
        }
    }

    @Test func aMariaDBReplicaStopsReplicationOnlyWhileQuiescedAndEveryPathRestartsIt() async throws {
        try #require(MariaDBServer.installed, "mariadb-server is missing: run scripts/install-test-tools")
        // The primary lives on a loop filesystem of its own that no job freezes.
        let primaryFilesystem = try LoopFilesystem.create(count: 1, megabytes: 128, imageDirectory: "/dev/shm")
        defer { primaryFilesystem.forEach { $0.remove() } }
        let primaryMount = try LoopFilesystem.testOwnedMounts(primaryFilesystem)[0]
        let primary = try await offThePool {
            try MariaDBServer.start(
                dataParent: primaryMount, initialise: true, port: 23_000 + Int(getpid() % 5000) + 2,
                options: ["--log-bin=primary-bin", "--server-id=1"])
        }
        defer { primary.stop() }
        _ = try primary.query(
            "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'Repl-pw-7'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';"
        )
        let binlog = try primary.query("SHOW MASTER STATUS").split(separator: "\t")
        try #require(binlog.count >= 2, "no binary log position: \(binlog)")
        let start: @Sendable (String) throws -> MariaDBServer = {
            try MariaDBServer.start(dataParent: $0, initialise: true, options: ["--server-id=2"])
        }
        try await withServer(start) { replica, _, mount, folder in
            _ = try replica.query(
                "GRANT REPLICATION SLAVE ADMIN ON *.* TO '\(MariaDBServer.backupUser)'@'127.0.0.1'; "
                    + "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=\(primary.port), MASTER_USER='repl', "
                    + "MASTER_PASSWORD='Repl-pw-7', MASTER_LOG_FILE='\(binlog[0])', MASTER_LOG_POS=\(binlog[1]); "
                    + "START REPLICA;")
            _ = try primary.query(
                "CREATE DATABASE app; CREATE TABLE app.ledger (id INT AUTO_INCREMENT PRIMARY KEY, amount INT) ENGINE=InnoDB; INSERT INTO app.ledger (amount) VALUES (1);"
            )
            #expect(try await replicated(replica, rows: 1), "the replica does not replicate")
            let conf = try writeConf(replica, in: folder) { $0 + "role = slave\n" }
            let marker = conf + ".replication-stopped"

            // 1. A clean job: replication is stopped only while quiesced and runs again after the job, which is
            //    application-consistent; nothing marks it as left stopped.
            let (result, records, _, whileQuiesced) = try await runJob(
                mount: mount, folder: folder, conf: conf, engine: .mariadb, holdSnapshots: true
            ) { try? replica.query("SHOW STATUS LIKE 'Slave_running'") }
            #expect(result.code == 0, "\(result.message)")
            #expect(records.last { $0.stage == .database }?.state == .succeeded)
            #expect(whileQuiesced?.contains("\tOFF") == true, "replication ran while quiesced: \(whileQuiesced ?? "")")
            #expect(try await replication(of: replica, is: "ON"), "replication was not restarted after the job")
            #expect(!FileManager.default.fileExists(atPath: marker))
            _ = try primary.query("INSERT INTO app.ledger (amount) VALUES (2)")
            #expect(try await replicated(replica, rows: 2))

            // 1b. A lock that cannot be had ends the client with an error after STOP REPLICA: 509, and replication is
            //     restarted in a session of its own.
            let holder = try replica.startStatement("LOCK TABLES app.ledger WRITE; SELECT SLEEP(30)")
            usleep(300_000)
            let (blocked, _, _, _) = try await runJob(
                mount: mount, folder: folder, conf: conf, engine: .mariadb, lockWait: .seconds(1))
            #expect(blocked.healthStatusCode == 509, "\(blocked.message)")
            #expect(try await replication(of: replica, is: "ON"), "replication stayed stopped after a failed quiesce")
            #expect(!FileManager.default.fileExists(atPath: marker))
            for id in try replica.query(
                "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(30)%'"
            ).split(separator: "\n") {
                _ = try? replica.query("KILL \(id)")
            }
            holder.terminate()

            // 2. SIGKILL of the database guard while quiesced: the lock ends with its session, but STOP REPLICA is
            //    global state, so replication stays stopped and the marker says so (510).
            let (orphaned, _, _, killed) = try await runJob(
                mount: mount, folder: folder, conf: conf, engine: .mariadb, holdSnapshots: true
            ) { () -> Bool in
                guard let pid = Self.processID(runningWith: ["database-guard", conf]) else { return false }
                return kill(pid, SIGKILL) == 0
            }
            #expect(killed == true, "no database guard to kill")
            #expect(orphaned.healthStatusCode == 510, "\(orphaned.message)")
            #expect(FileManager.default.fileExists(atPath: marker), "nothing records the replication left stopped")
            #expect(try await replication(of: replica, is: "OFF"))

            // 3. The next job restarts it first, whatever its role (here master, in the same workload.conf).
            _ = try writeConf(replica, in: folder)
            let (next, _, _, _) = try await runJob(mount: mount, folder: folder, conf: conf, engine: .mariadb)
            #expect(next.code == 0, "\(next.message)")
            #expect(try await replication(of: replica, is: "ON"), "the next job did not restart replication")
            #expect(!FileManager.default.fileExists(atPath: marker))
            _ = try primary.query("INSERT INTO app.ledger (amount) VALUES (3)")
            #expect(try await replicated(replica, rows: 3))
        }
    }

    /// Runs `vmsnap snapshot --json` with `arguments` as a process against an emulator whose snapshots take 20 s,
    /// reads its events until one satisfies `reached`, runs `body` with the process, then waits for its exit.
    private func withJobProcess(
        _ arguments: [String], until reached: @escaping @Sendable (String) -> Bool,
        _ body: @escaping @Sendable (Process) throws -> Void
    ) async throws {
        let scenario = try await SnapshotScenario.start(disks: 1)
        scenario.emulator.setFaults([FaultRule(operation: .snapshot, action: .latency(ms: 20_000))])
        let settings = scenario.directory.appendingPathComponent("job.settings")
        try scenario.writeSettingsFile(to: settings)
        let job = Process()
        job.executableURL = BuiltBinary.vmsnap
        job.arguments =
            [
                "snapshot", "--settings", settings.path, "--json", "--status-dir", scenario.statusDirectory,
                "--log-dir", scenario.logDirectory,
            ] + arguments
        try await offThePool {
            let events = Pipe()
            job.standardOutput = events
            try job.run()
            let lines = LineReader(events.fileHandleForReading)
            var found = false
            while !found, let line = lines.next() { found = reached(line) }
            #expect(found, "the job never reported what the test waits for")
            try body(job)
            job.waitUntilExit()
        }
        try await scenario.stop()
    }

    /// Runs the job as a process until it froze (so the quiesce holds), starts a write, SIGKILLs the job and expects
    /// the write through within a second.
    private func killJobWhileQuiesced(
        server: some TestDatabaseServer, mount: String, folder: String, conf: String, write: String
    ) async throws {
        let arguments = [
            "--freeze", "auto", "--mount", mount, "--freeze-lock", folder + "/SafeFreezeLockFile", "--workload-conf",
            conf,
        ]
        try await withJobProcess(
            arguments, until: { $0.contains("\"stage\":\"freeze\"") && $0.contains("\"state\":\"succeeded\"") }
        ) {
            job in
            let writer = try server.startStatement(write)
            #expect(!writer.completed(within: 0.3), "a write went through while quiesced")
            kill(job.processIdentifier, SIGKILL)
            #expect(writer.completed(within: 1), "the database was not writable within 1 s of the job's death")
        }
    }

    /// The first process whose command line holds every one of `words`.
    private static func processID(runningWith words: [String]) -> pid_t? {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return pids.first { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let line = String(decoding: data, as: UTF8.self)
            return words.allSatisfy { line.contains($0) }
        }
    }

    /// Whether `query` (a count of vmsnap's sessions) reaches 0 within a second.
    private func waitUntilNoSession(_ server: PostgresServer, query: String) -> Bool {
        let limit = Date().addingTimeInterval(1)
        while Date() < limit {
            if (try? server.query(query))?.trimmingCharacters(in: .whitespacesAndNewlines) == "0" { return true }
        }
        return false
    }

    @Test func postgresGetsACheckpointInASessionTheGuardHoldsAndReleasesOnEveryPath() async throws {
        try #require(PostgresServer.installed, "postgresql is missing: run scripts/install-test-tools")
        try await withServer(PostgresServer.start(dataParent:)) { server, _, mount, folder in
            _ = try server.query(
                "CREATE TABLE ledger (id serial PRIMARY KEY, amount int); INSERT INTO ledger (amount) VALUES (1);")
            let conf = try writeConf(server, in: folder)
            let sessions = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'vmsnap'"

            // 1. A clean job: the CHECKPOINT session is open while frozen, gone afterwards, and the job is
            //    application-consistent.
            let (result, records, _, heldSessions) = try await runJob(
                mount: mount, folder: folder, conf: conf, engine: .postgres, holdSnapshots: true
            ) { try? server.query(sessions) }
            #expect(result.code == 0, "\(result.message)")
            let database = try #require(records.last { $0.stage == .database })
            #expect(database.state == .succeeded && database.detail.contains("CHECKPOINT"))
            #expect(heldSessions?.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
            #expect(try server.query(sessions).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
            #expect(result.databaseWindowMilliseconds != nil)

            // 2. A server that cannot be reached: 506, filesystem-consistent, never code 0.
            let wrongPort = try writeConf(server, in: folder, name: "wrong.conf", timeoutSeconds: 30) {
                $0.replacingOccurrences(of: "-p \(server.port)", with: "-p 1")
            }
            let (unreachable, _, _, _) = try await runJob(
                mount: mount, folder: folder, conf: wrongPort, engine: .postgres)
            #expect(unreachable.code == 1 && unreachable.healthStatusCode == 506, "\(unreachable.message)")

            // 3. SIGKILL of the database guard while quiesced: the session ends within 1 s and the job reports 510.
            let (orphaned, _, _, releasedAfterGuardDeath) = try await runJob(
                mount: mount, folder: folder, conf: conf, engine: .postgres, holdSnapshots: true
            ) { () -> Bool in
                guard let pid = Self.processID(runningWith: ["database-guard", conf]) else { return false }
                kill(pid, SIGKILL)
                return waitUntilNoSession(server, query: sessions)
            }
            #expect(releasedAfterGuardDeath == true, "the session outlived its guard by more than 1 s")
            #expect(orphaned.code == 1 && orphaned.healthStatusCode == 510, "\(orphaned.message)")

            // 4. SIGKILL of the job while quiesced: the vmsnap session ends within 1 s.
            try await withJobProcess(
                ["--freeze", "off", "--workload-conf", conf], until: { $0.contains("\"stage\":\"snapshot\"") }
            ) { (job: Process) throws in
                #expect(try server.query(sessions).trimmingCharacters(in: .whitespacesAndNewlines) == "1")
                kill(job.processIdentifier, SIGKILL)
                #expect(
                    waitUntilNoSession(server, query: sessions), "the quiesce session outlived the job by more than 1 s"
                )
            }
        }
    }
}
