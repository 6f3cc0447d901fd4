import Core
import Foundation
import Testing

@Suite struct ChildProcessTests {
    /// A script still open for writing elsewhere (another thread's fork that has not exec'd yet holds it that way)
    /// makes exec answer ETXTBSY; the spawn waits that out instead of reporting the script as unusable.
    @Test func spawnWaitsOutAWriterThatStillHoldsTheScript() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vmsnap-spawn-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("busy.sh").path
        let writer = open(script, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o700)
        try #require(writer >= 0)
        let body = "#!/bin/sh\nexit 7\n"
        #expect(write(writer, body, body.utf8.count) == body.utf8.count)
        Thread {
            usleep(30_000)
            close(writer)
        }.start()
        let process = try ChildProcess.spawn(executable: script, arguments: [])
        let status = process.waitForExit()
        #expect(WaitStatus.exitCode(status) == 7)
    }
}

@Suite struct CommandOutputTests {
    /// A child that fills its stderr pipe before writing stdout finishes (reading stdout first would deadlock).
    @Test(.timeLimit(.minutes(1))) func readsBothStreamsTogether() throws {
        let script = "head -c 1000000 /dev/zero | tr '\\0' e >&2; echo done; head -c 300000 /dev/zero | tr '\\0' o"
        let result = try CommandOutput.run("/bin/sh", ["-c", script])
        #expect(result.exitCode == 0)
        #expect(result.standardError == String(repeating: "e", count: 1_000_000))
        #expect(result.standardOutput == "done\n" + String(repeating: "o", count: 300_000))
    }

    /// The exit code and a missing executable are reported.
    @Test func reportsExitCodeAndSpawnFailure() throws {
        let failed = try CommandOutput.run("/bin/sh", ["-c", "echo oops >&2; exit 3"])
        #expect(failed.exitCode == 3)
        #expect(failed.standardError == "oops\n")
        #expect(throws: SpawnError.self) { try CommandOutput.run("/nonexistent/vmsnap-command", []) }
    }
}
