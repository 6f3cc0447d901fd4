import Foundation
import Testing

@testable import Engine

/// workload.conf read as workloads.md 1.2 and 2.1 say: empty keys mean absent, problems name the key, line and
/// code, credString becomes argv with its password taken out, and the session a guard runs for each engine.
struct WorkloadConfTests {
    private func parse(_ body: String) -> WorkloadConf {
        WorkloadConf.parse("[workload]\n" + body, path: "/etc/azure/workload.conf")
    }

    @Test func theShippedTemplateWithEveryKeyEmptyQuiescesNothingAndIsNoError() {
        let conf = parse(
            """
            workload_name =
            command_path =
            credString =
            linux_user =
            ipc_folder =
            timeout =
            """)
        #expect(conf.engine == nil)
        #expect(conf.problems.isEmpty)
        #expect(conf.timeoutSeconds == WorkloadConf.defaultTimeoutSeconds)
    }

    @Test func emptyKeysMeanTheSameAsAbsentOnes() {
        let conf = parse("workload_name = mariadb\ncommand_path =\nlinux_user = mysql\ntimeout =\n")
        #expect(conf.engine == .mariadb)
        #expect(conf.commandPath == nil, "an empty command_path must not become '/'")
        #expect(conf.timeoutSeconds == 90)
        #expect(conf.problems.isEmpty)
    }

    @Test func credStringIsSplitLikeAShellAndItsPasswordLeavesTheArgv() {
        let conf = parse(
            #"""
            workload_name = mysql
            credString = -u backup '-pS3cret pw' -h 127.0.0.1 -P 3306 --socket="/run/my sock"
            timeout = 30
            """#)
        #expect(conf.credentialArguments == ["-u", "backup", "-h", "127.0.0.1", "-P", "3306", "--socket=/run/my sock"])
        #expect(conf.password == "S3cret pw")
        #expect(conf.timeoutSeconds == 30)
        #expect(!conf.credentialArguments.joined().contains("S3cret"))
    }

    @Test func aPostgresConninfoPasswordLeavesTheArgv() {
        let conf = parse("workload_name = postgres\ncredString = -U app 'host=db password=pw1 dbname=x'\n")
        #expect(conf.credentialArguments == ["-U", "app", "host=db dbname=x"])
        #expect(conf.password == "pw1")
    }

    @Test(
        arguments: [
            ("workload_name = mssql\nlinux_user = root\n", "workload_name", 503, 2),
            ("workload_name = mysql\n", "credString", 505, nil),
            ("workload_name = mysql\ncredString = -u x -p\n", "credString", 505, 3),
            ("workload_name = mysql\ncredString = -u 'x\n", "credString", 501, 3),
            ("workload_name = mysql\nlinux_user = root\nrole = primary\n", "role", 502, 4),
            ("workload_name = postgres\nlinux_user = root\nrole = slave\n", "role", 503, 4),
            (
                "workload_name = mysql\nlinux_user = root\nenforceSlaveOnly = 2\nrole = slave\n", "enforceSlaveOnly",
                502, 4
            ),
            ("workload_name = mysql\nlinux_user = root\nenforceSlaveOnly = 1\n", "enforceSlaveOnly", 502, 4),
            ("workload_name = mysql\nlinux_user = root\ntimeout = soon\n", "timeout", 501, 4),
            (
                "workload_name = postgres\nlinux_user = postgres\ncredString = postgresql://u:pw@h/db\n", "credString",
                501, 4
            ),
        ] as [(String, String, Int, Int?)])
    func aBadValueNamesItsKeyLineAndCode(body: String, key: String, code: Int, line: Int?) throws {
        let conf = parse(body)
        let problem = try #require(conf.problems.first, "no problem found in \(body)")
        #expect(problem.key == key)
        #expect(problem.code.rawValue == code)
        #expect(problem.line == line)
        let failure = try #require(conf.failure)
        #expect(failure.message.contains(key) && failure.message.contains("/etc/azure/workload.conf"))
        #expect(!failure.message.contains("pw"), "a credential reached the message: \(failure.message)")
    }

    @Test func keysReadInAnyCaseAndUnknownOnesAreWarnedAbout() {
        let conf = parse("Workload_Name = MariaDB\nCREDSTRING = -u root\nbogus = 1\nipc_folder = /nonexistent\n")
        #expect(conf.engine == .mariadb)
        #expect(conf.credentialArguments == ["-u", "root"])
        #expect(conf.warnings.contains { $0.contains("unknown key 'bogus'") && $0.contains("line 4") })
        #expect(conf.warnings.contains { $0.contains("ipc_folder") && $0.contains("unused") })
    }

    @Test func theMariaDBSessionPutsNoDefaultsFirstAndThePasswordInTheEnvironment() throws {
        let conf = parse("workload_name = mariadb\ncommand_path = /usr/bin\ncredString = -u bk -pPw_1 -h 127.0.0.1\n")
        let session = try QuiesceSession(
            conf: conf, lockWait: .seconds(3), serverTimeout: .seconds(95), connectTimeout: .seconds(10))
        #expect(session.executable == "/usr/bin/mariadb")
        #expect(session.arguments.first == "--no-defaults")
        #expect(Array(session.arguments[1...4]) == ["-u", "bk", "-h", "127.0.0.1"])
        #expect(!session.arguments.contains { $0.contains("Pw_1") })
        #expect(session.environment["MYSQL_PWD"] == "Pw_1")
        #expect(session.quiesce.contains("lock_wait_timeout=3") && session.quiesce.contains("wait_timeout=95"))
        #expect(session.quiesce.contains("BACKUP STAGE START; BACKUP STAGE BLOCK_COMMIT;"))
        #expect(!session.quiesce.contains("GLOBAL"), "the quiesce must not change global server state")
        #expect(session.release.hasPrefix("BACKUP STAGE END;"))
    }

    @Test func theMySQLSessionHoldsAGlobalReadLockAndUnlocksInTheSameSession() throws {
        let conf = parse("workload_name = mysql\ncommand_path = /usr/bin\ncredString = -u bk\n")
        let session = try QuiesceSession(
            conf: conf, lockWait: .seconds(3), serverTimeout: .seconds(95), connectTimeout: .seconds(10))
        #expect(session.executable == "/usr/bin/mysql")
        #expect(session.quiesce.contains("FLUSH TABLES WITH READ LOCK;"))
        #expect(!session.quiesce.contains("GLOBAL") && !session.quiesce.contains("BACKUP STAGE"))
        #expect(session.release.hasPrefix("UNLOCK TABLES;"))
    }

    @Test func aReplicaStopsReplicationBeforeTheLockAndRestartsItInASessionOfItsOwn() throws {
        let conf = parse("workload_name = mariadb\ncommand_path = /usr/bin\ncredString = -u bk\nrole = slave\n")
        #expect(conf.role == .slave && conf.failure == nil)
        let session = try QuiesceSession(
            conf: conf, lockWait: .seconds(3), serverTimeout: .seconds(95), connectTimeout: .seconds(10))
        #expect(session.stopsReplication)
        let stop = try #require(session.quiesce.range(of: "STOP REPLICA;"))
        let lock = try #require(session.quiesce.range(of: "BACKUP STAGE START;"))
        #expect(stop.upperBound <= lock.lowerBound, "replication must stop before the lock is taken")
        #expect(!session.release.contains("REPLICA"))
        #expect(session.replicationRestart?.hasPrefix("START REPLICA;") == true)
        let master = try QuiesceSession(
            conf: parse("workload_name = mysql\ncommand_path = /usr/bin\ncredString = -u bk\nenforceSlaveOnly = 0\n"),
            lockWait: .seconds(3), serverTimeout: .seconds(95), connectTimeout: .seconds(10))
        #expect(!master.stopsReplication && !master.quiesce.contains("REPLICA"))
    }

    @Test func anOptionFileInCredStringTakesTheLeadingPlace() throws {
        let conf = parse(
            "workload_name = mysql\ncommand_path = /usr/bin\ncredString = -u x --defaults-extra-file=/root/bk.cnf\n")
        let session = try QuiesceSession(
            conf: conf, lockWait: .seconds(3), serverTimeout: .seconds(95), connectTimeout: .seconds(10))
        #expect(session.arguments.prefix(3) == ["--defaults-extra-file=/root/bk.cnf", "-u", "x"])
        #expect(!session.arguments.contains("--no-defaults"))
    }

    @Test func thePostgresSessionRunsACheckpointAsLinuxUserWithoutAShell() throws {
        let conf = parse(
            "workload_name = postgres\ncommand_path = /usr/bin\nlinux_user = nobody\ncredString = -p 5432\n")
        let session = try QuiesceSession(
            conf: conf, lockWait: .seconds(5), serverTimeout: .seconds(95), connectTimeout: .seconds(10))
        #expect(session.executable == QuiesceSession.setpriv)
        #expect(session.arguments.contains("--init-groups") && session.arguments.contains("/usr/bin/psql"))
        #expect(session.arguments.suffix(8) == ["-p", "5432", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
        #expect(session.quiesce.contains("statement_timeout = '5s'") && session.quiesce.contains("CHECKPOINT"))
        #expect(session.quiesce.contains("idle_session_timeout"))
        #expect(!session.quiesce.contains("pg_start_backup"))
    }

    @Test func anOratabNamesOneInstanceAndMoreAreRefused() throws {
        let oratab = NSTemporaryDirectory() + "vmsnap-oratab-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: oratab) }
        try Data("# comment\n+ASM:/grid:N\nORCL:/u01/app/oracle/19c:Y\n".utf8).write(to: URL(fileURLWithPath: oratab))
        #expect(try OracleInstance.read(oratab) == OracleInstance(sid: "ORCL", home: "/u01/app/oracle/19c"))
        try Data("A:/h1:Y\nB:/h2:Y\n".utf8).write(to: URL(fileURLWithPath: oratab))
        #expect(throws: QuiesceSession.Refusal.self) { try OracleInstance.read(oratab) }
        #expect(try OracleInstance.read(nil) == nil)
    }

    @Test func aMissingClientIsAConnectionError() {
        let conf = parse("workload_name = mariadb\ncommand_path = /nonexistent\nlinux_user = root\n")
        #expect(throws: QuiesceSession.Refusal.self) {
            try QuiesceSession(
                conf: conf, lockWait: .seconds(1), serverTimeout: .seconds(10), connectTimeout: .seconds(1))
        }
    }

    @Test(arguments: [
        ("ERROR 1205 (HY000) at line 1: Lock wait timeout exceeded; try restarting transaction", 509),
        ("psql:<stdin>:1: ERROR:  canceling statement due to statement timeout", 509),
        ("ERROR 1227 (42000) at line 1: Access denied; you need (at least one of) the RELOAD privilege(s)", 500),
    ])
    func aClientErrorWhileQuiescingMapsToItsCode(output: String, code: Int) {
        #expect(QuiesceSession.acquireFailureCode(output).rawValue == code)
    }

    @Test func shellWordsKeepQuotedBlanksAndEscapes() throws {
        #expect(try ShellWords.split(#"a "b c" 'd e' f\ g "h\"i""#) == ["a", "b c", "d e", "f g", "h\"i"])
        #expect(throws: ShellWords.Problem.self) { try ShellWords.split("a 'b") }
    }
}
