import ArgumentParser
import Core

/// `vmsnap database-guard`: the process a snapshot job starts to hold the database quiesce (hidden; not for direct
/// use). It reads the credentials from workload.conf itself, so none is on its command line.
struct DatabaseGuardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "database-guard",
        abstract: "Quiesce the workload.conf database and guarantee its release (started by the snapshot job).",
        shouldDisplay: false)

    @Option(help: "The workload.conf naming the engine, client and credentials.")
    var workloadConf: String

    @Option(help: "The job process; the guard releases the database when it dies.")
    var parentPid: Int32

    @Option(help: "Milliseconds from the start to the forced release.")
    var timeoutMs: Int

    @Option(help: "Milliseconds the quiesce statement may wait for locks.")
    var lockWaitMs: Int

    func validate() throws {
        guard timeoutMs > 0 else { throw ValidationError("--timeout-ms must be positive, got \(timeoutMs)") }
        guard lockWaitMs > 0 else { throw ValidationError("--lock-wait-ms must be positive, got \(lockWaitMs)") }
    }

    func run() throws {
        DatabaseGuard.run(
            DatabaseGuardRequest(
                workloadConfPath: workloadConf, parentPID: parentPid, timeout: .milliseconds(timeoutMs),
                lockWait: .milliseconds(lockWaitMs)))
    }
}
