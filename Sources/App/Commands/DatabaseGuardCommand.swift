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

    @OptionGroup var lifetime: GuardLifetimeOptions

    @Option(help: "Milliseconds the quiesce statement may wait for locks.")
    var lockWaitMs: Int

    func validate() throws {
        guard lockWaitMs > 0 else { throw ValidationError("--lock-wait-ms must be positive, got \(lockWaitMs)") }
    }

    func run() throws {
        DatabaseGuard.run(
            DatabaseGuardRequest(
                workloadConfPath: workloadConf, parentPID: lifetime.parentPid,
                timeout: .milliseconds(lifetime.timeoutMs),
                lockWait: .milliseconds(lockWaitMs)))
    }
}
