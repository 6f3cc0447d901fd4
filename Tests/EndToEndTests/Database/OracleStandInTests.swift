import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Oracle through a stand-in `sqlplus` (Oracle cannot be installed here): a script that checks its argv and the
/// instance's environment, follows the statements the database guard sends and records backup mode in a file.
@Suite(.serialized)
struct OracleStandInTests {
    /// The stand-in: answers PROMPT lines, keeps BEGIN/END BACKUP in `state`, logs every line to `statements`, ends
    /// a leftover backup on the start-up check's PL/SQL block (its `/` line), and plays an instance in NOARCHIVELOG
    /// mode when a file `noarchivelog` is beside it.
    private static let sqlplus = #"""
        #!/bin/sh
        dir=$(dirname "$0")
        [ "$1 $2 $3" = "-S -L /nolog" ] || { echo "SP2-0306: unexpected arguments: $*"; exit 2; }
        [ "$ORACLE_SID" = ORCL ] && [ "$ORACLE_HOME" = /opt/oracle/product/19c ] || { echo "ORA-12162: no instance"; exit 1; }
        case "$PATH" in /opt/oracle/product/19c/bin:*) ;; *) echo "PATH lacks ORACLE_HOME/bin"; exit 1 ;; esac
        while IFS= read -r line; do
            echo "$line" >> "$dir/statements"
            case "$line" in
                "PROMPT "*) echo "${line#PROMPT }" ;;
                "ALTER SYSTEM ARCHIVE LOG CURRENT;") if [ -e "$dir/noarchivelog" ]; then
                         echo "ORA-00258: manual archiving in NOARCHIVELOG mode must identify log"; exit 1
                     fi ;;
                "ALTER DATABASE BEGIN BACKUP;") echo ACTIVE > "$dir/state" ;;
                "ALTER DATABASE END BACKUP;") echo NOT_ACTIVE > "$dir/state" ;;
                "/") if [ "$(cat "$dir/state" 2>/dev/null)" = ACTIVE ]; then
                         echo NOT_ACTIVE > "$dir/state"; echo "leftover backup ended" >> "$dir/statements"
                     fi ;;
            esac
        done
        """#

    /// A folder with the stand-in, an oratab and workload.conf; returns the folder and the conf's path.
    private func prepare() throws -> (folder: String, conf: String) {
        let folder = NSTemporaryDirectory() + "vmsnap-oracle-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(Self.sqlplus.utf8).write(to: URL(fileURLWithPath: folder + "/sqlplus"))
        chmod(folder + "/sqlplus", 0o755)
        try Data("# oratab\n+ASM:/opt/grid:N\nORCL:/opt/oracle/product/19c:Y\n".utf8).write(
            to: URL(fileURLWithPath: folder + "/oratab"))
        let conf = folder + "/workload.conf"
        try Data(
            """
            [workload]
            workload_name = oracle
            command_path = \(folder)
            configuration_path = \(folder)/oratab
            linux_user = root
            timeout = 30

            """.utf8
        ).write(to: URL(fileURLWithPath: conf))
        return (folder, conf)
    }

    private func runJob(conf: String, folder: String) async throws -> JobResult {
        let filesystems = try LoopFilesystem.create(count: 1)
        defer { filesystems.forEach { $0.remove() } }
        let scenario = try await SnapshotScenario.start(disks: 1)
        var options = scenario.options()
        options.freezer = GuardedFreezer(
            mounts: try LoopFilesystem.testOwnedMounts(filesystems), guardExecutable: BuiltBinary.vmsnap.path,
            lockPath: folder + "/SafeFreezeLockFile")
        options.database = .quiesce(
            GuardedQuiescer(
                workloadConfPath: conf, engine: .oracle, guardExecutable: BuiltBinary.vmsnap.path,
                timeout: .seconds(90), lockWait: .seconds(5)))
        let result = await SnapshotJob(settings: try scenario.settings(), options: options).run()
        try await scenario.stop()
        return result
    }

    @Test func beginBackupBeforeTheFreezeAndEndBackupAfterTheThawAsTheOSUser() async throws {
        let (folder, conf) = try prepare()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try await runJob(conf: conf, folder: folder)
        #expect(result.code == 0, "\(result.message)")
        let statements = try String(contentsOfFile: folder + "/statements", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(statements.first == "WHENEVER SQLERROR EXIT FAILURE")
        #expect(statements.contains("CONNECT / AS SYSBACKUP"))
        let begin = try #require(statements.firstIndex(of: "ALTER DATABASE BEGIN BACKUP;"))
        let end = try #require(statements.firstIndex(of: "ALTER DATABASE END BACKUP;"))
        #expect(statements.firstIndex(of: "ALTER SYSTEM ARCHIVE LOG CURRENT;").map { $0 < begin } == true)
        #expect(begin < end)
        #expect(try String(contentsOfFile: folder + "/state", encoding: .utf8) == "NOT_ACTIVE\n")
        #expect(!statements.contains("leftover backup ended"))
    }

    @Test func aBackupModeADeadJobLeftIsEndedBeforeTheNextBegins() async throws {
        let (folder, conf) = try prepare()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("ACTIVE\n".utf8).write(to: URL(fileURLWithPath: folder + "/state"))
        let result = try await runJob(conf: conf, folder: folder)
        #expect(result.code == 0, "\(result.message)")
        let statements = try String(contentsOfFile: folder + "/statements", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let leftover = try #require(statements.firstIndex(of: "leftover backup ended"))
        let begin = try #require(statements.firstIndex(of: "ALTER DATABASE BEGIN BACKUP;"))
        #expect(leftover < begin)
        #expect(try String(contentsOfFile: folder + "/state", encoding: .utf8) == "NOT_ACTIVE\n")
    }

    @Test func noArchiveLogModeIs511AndTheSnapshotIsStillTaken() async throws {
        let (folder, conf) = try prepare()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The stand-in answers ARCHIVE LOG CURRENT as an instance in NOARCHIVELOG mode does, and exits.
        #expect(FileManager.default.createFile(atPath: folder + "/noarchivelog", contents: nil))
        let result = try await runJob(conf: conf, folder: folder)
        #expect(result.code == 1 && result.healthStatusCode == 511, "\(result.code) \(result.message)")
        #expect(result.message.contains("FailedWorkloadDatabaseInNoArchiveLog"))
    }
}
