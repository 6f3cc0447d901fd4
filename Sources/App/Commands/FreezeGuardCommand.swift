import ArgumentParser
import Core

/// `vmsnap freeze-guard`: the thaw guard process a snapshot job starts (hidden; not for direct use).
struct FreezeGuardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "freeze-guard",
        abstract: "Freeze mounts and guarantee their thaw (started by the snapshot job).",
        shouldDisplay: false)

    @OptionGroup var lifetime: GuardLifetimeOptions

    @Option(help: "The exclusive freeze lock file.")
    var lockFile: String = GuardedFreezer.defaultLockPath

    @Flag(
        inversion: .prefixedNo,
        help: "Hold the rcu_expedited knob at 1 (if it is 0) during the FIFREEZE calls, then put it back.")
    var expediteRcu = true

    @Option(help: "The expedited-RCU knob.")
    var rcuExpeditedFile = GuardedFreezer.defaultRCUExpeditedPath

    @Option(help: "Milliseconds to wait for a freeze lock another process holds (retrying every second).")
    var lockWaitMs = 0

    @Option(help: "Milliseconds from arming until every mount must be frozen (default: the timeout).")
    var freezeWaitMs: Int?

    @Option(
        help: ArgumentHelp(
            "Prepare: take the lock, open and flush the mounts, report ready, then wait up to this many milliseconds "
                + "for a freeze command before arming the deadline."))
    var freezeCommandWaitMs: Int?

    @Argument(help: "Mount points in freeze order.")
    var mounts: [String] = []

    func run() throws {
        FreezeGuard.run(
            FreezeGuardRequest(
                mounts: mounts, timeout: .milliseconds(lifetime.timeoutMs), parentPID: lifetime.parentPid,
                lockPath: lockFile,
                rcuExpeditedPath: expediteRcu ? rcuExpeditedFile : nil, lockWait: .milliseconds(max(0, lockWaitMs)),
                freezeWait: freezeWaitMs.map { .milliseconds(max(1, $0)) },
                freezeCommandWait: freezeCommandWaitMs.map { .milliseconds(max(1, $0)) }))
    }
}
