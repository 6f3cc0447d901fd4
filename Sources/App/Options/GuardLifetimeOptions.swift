import ArgumentParser

/// `--parent-pid` and `--timeout-ms` of the guard processes a job starts (`freeze-guard`, `database-guard`): what
/// bounds their hold on the machine.
struct GuardLifetimeOptions: ParsableArguments {
    @Option(help: "The job process; the guard ends its hold (thaw, release) when it dies.")
    var parentPid: Int32

    @Option(help: "Milliseconds until the guard ends its hold by force (the freeze guard counts from arming).")
    var timeoutMs: Int

    func validate() throws {
        guard timeoutMs > 0 else { throw ValidationError("--timeout-ms must be positive, got \(timeoutMs)") }
    }
}
