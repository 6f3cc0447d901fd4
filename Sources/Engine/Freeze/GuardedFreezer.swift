import Basics
import CVMSnapSystem
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Freezes filesystems through a `vmsnap freeze-guard` child process, so none outlives its deadline frozen.
///
/// The guard thaws on request, at its deadline (armed before the first FIFREEZE), on a signal, and when this
/// process dies (EOF on its command pipe, and PR_SET_PDEATHSIG). Only one freeze runs at a time on a machine:
/// the guard holds the lock file the peer shares with Site Recovery while anything is frozen (a POSIX record lock, as
/// they take it with lockf), waiting up to `lockWait` for another holder.
public struct GuardedFreezer: FilesystemFreezer {
    /// The lock file the Linux peer and Azure Site Recovery use.
    public static let defaultLockPath = "/etc/azure/MicrosoftRecoverySvcsSafeFreezeLock/SafeFreezeLockFile"

    /// The mount points to freeze (`/` is moved last); the job plan chooses them.
    public var mounts: [String]
    /// The `vmsnap` executable that runs `freeze-guard`.
    public var guardExecutable: String
    public var lockPath: String
    /// How long to wait for a freeze lock another process holds (Site Recovery, the peer) before failing with 121.
    public var lockWait: Duration
    /// How long FIFREEZE of every mount may take from arming (vmbackup.conf SafeFreezeWaitInSeconds); nil: the
    /// whole freeze timeout.
    public var freezeWait: Duration?
    /// Whether the guard holds `rcu_expedited` at 1 (if it was 0) during its FIFREEZE calls, which makes each
    /// FIFREEZE take about a millisecond instead of tens; the previous value is always put back.
    public var expediteGracePeriods: Bool
    /// The kernel's expedited-RCU knob (tests point it at a file of their own).
    public var rcuExpeditedPath: String

    public init(
        mounts: [String], guardExecutable: String = "/proc/self/exe", lockPath: String = Self.defaultLockPath,
        lockWait: Duration = Self.defaultLockWait, freezeWait: Duration? = nil, expediteGracePeriods: Bool = true,
        rcuExpeditedPath: String = Self.defaultRCUExpeditedPath
    ) {
        self.mounts = mounts
        self.guardExecutable = guardExecutable
        self.lockPath = lockPath
        self.lockWait = lockWait
        self.freezeWait = freezeWait
        self.expediteGracePeriods = expediteGracePeriods
        self.rcuExpeditedPath = rcuExpeditedPath
    }

    /// How long a job waits for the freeze lock unless configured otherwise (the peer waits about as long).
    public static let defaultLockWait = Duration.seconds(30)

    /// The kernel's expedited-RCU knob.
    public static var defaultRCUExpeditedPath: String { GracePeriodExpediter.defaultKnobPath }

    public func freeze(timeout: Duration, notice: @escaping @Sendable (String) -> Void) async throws
        -> any FrozenFilesystems
    {
        try await freezeGuarded(timeout: timeout, notice: notice)
    }

    /// Freezes every mount; on failure the guard has already thawed what it froze. `notice` hears of each retry
    /// for a freeze lock another process holds ("waiting for the freeze lock held by PID N").
    public func freezeGuarded(timeout: Duration, notice: @escaping @Sendable (String) -> Void = { _ in })
        async throws(JobFailure) -> GuardedFrozenFilesystems
    {
        let (connection, mountList) = try start(timeout: timeout, freezeCommandWait: nil, notice: notice)
        if await connection.waitUntilFrozen() {
            return GuardedFrozenFilesystems(mounts: mountList, connection: connection, lockWait: connection.lockWait)
        }
        throw await Self.failure(of: connection)
    }

    public func prepare(
        timeout: Duration, freezeWithin: Duration, notice: @escaping @Sendable (String) -> Void
    ) async throws -> any PreparedFreeze {
        try await prepareGuarded(timeout: timeout, freezeWithin: freezeWithin, notice: notice)
    }

    /// Starts the guard, which takes the freeze lock, opens and flushes every mount and then waits (up to
    /// `freezeWithin`) for the prepared freeze's `freeze`; its deadline (`timeout`) is armed only then.
    public func prepareGuarded(
        timeout: Duration, freezeWithin: Duration, notice: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(JobFailure) -> PreparedGuardedFreeze {
        let (connection, mountList) = try start(timeout: timeout, freezeCommandWait: freezeWithin, notice: notice)
        if await connection.waitUntilReady() { return PreparedGuardedFreeze(mounts: mountList, connection: connection) }
        throw await Self.failure(of: connection)
    }

    /// Starts `vmsnap freeze-guard` for every mount (`/` last).
    private func start(
        timeout: Duration, freezeCommandWait: Duration?, notice: @escaping @Sendable (String) -> Void
    ) throws(JobFailure) -> (GuardConnection, [String]) {
        if let relative = mounts.first(where: { !$0.hasPrefix("/") }) {
            throw JobFailure(code: 123, message: "mount point '\(relative)' is not an absolute path")
        }
        let mountList = MountPlanner.rootLast(mounts)
        guard access(guardExecutable, X_OK) == 0 else {
            throw JobFailure(code: 124, message: "the freeze guard \(guardExecutable) is missing or not executable")
        }
        signal(SIGPIPE, SIG_IGN)  // the guard may close its command pipe first (deadline)
        func milliseconds(_ duration: Duration) -> String { String(max(1, duration.wholeNanoseconds / 1_000_000)) }
        var arguments = [
            "freeze-guard", "--timeout-ms", milliseconds(timeout), "--parent-pid", String(getpid()), "--lock-file",
            lockPath, "--lock-wait-ms", String(lockWait.wholeNanoseconds / 1_000_000),
        ]
        if let freezeWait { arguments += ["--freeze-wait-ms", milliseconds(freezeWait)] }
        if let freezeCommandWait { arguments += ["--freeze-command-wait-ms", milliseconds(freezeCommandWait)] }
        arguments +=
            expediteGracePeriods
            ? ["--expedite-rcu", "--rcu-expedited-file", rcuExpeditedPath] : ["--no-expedite-rcu"]
        arguments += ["--"] + mountList
        let emergency = EmergencyThaw(
            mounts: mountList,
            rcuKnobToRecover: expediteGracePeriods && GracePeriodExpediter.holdsZero(rcuExpeditedPath)
                ? rcuExpeditedPath : nil)
        do {
            let connection = try GuardConnection.start(
                executable: guardExecutable, arguments: arguments, emergency: emergency
            ) { [lockPath, lockWait] message in
                let holder = message.lockHolderPID.map { " held by PID \($0)" } ?? ""
                let waited = Int((Double(message.lockWaitNanoseconds) / 1e9).rounded())
                notice(
                    "waiting for the freeze lock\(holder) (\(lockPath)): \(waited) of \(lockWait.components.seconds) s")
            }
            return (connection, mountList)
        } catch {
            throw JobFailure(code: 124, message: "cannot start the freeze guard: \(error)")
        }
    }

    /// Why a guard ended without freezing, from its final report (thawing from here if it vanished without one).
    fileprivate static func failure(of connection: GuardConnection) async -> JobFailure {
        guard let report = await connection.finalReport() else {
            let thawed = connection.emergency.run()
            return JobFailure(
                code: 121, message: "the freeze guard exited without a report; thawed directly: \(thawed.summary)")
        }
        var message = report.failureMessage ?? "the freeze guard ended before freezing"
        if !report.thawFailures.isEmpty { message += "; thaw problems: \(report.thawSummary)" }
        return JobFailure(code: report.failureCode.map { ResultCode($0) } ?? .freezeFailed, message: message)
    }
}

/// A freeze guard that holds the freeze lock with every mount open and flushed, waiting for `freeze`; dropping
/// this object unused (or this process dying) ends the guard with nothing frozen.
public final class PreparedGuardedFreeze: PreparedFreeze {
    public let mounts: [String]
    private let connection: GuardConnection
    private let handedOver = Mutex(false)

    init(mounts: [String], connection: GuardConnection) {
        self.mounts = mounts
        self.connection = connection
    }

    deinit {
        if !handedOver.withLock({ $0 }) { connection.requestThaw() }
    }

    /// The guard's process.
    public var guardProcessID: pid_t { connection.processID }

    public func freeze() async throws -> any FrozenFilesystems {
        try await freezeGuarded()
    }

    /// Freezes every mount now: the guard arms its deadline and freezes (no process start, lock or flush left).
    public func freezeGuarded() async throws(JobFailure) -> GuardedFrozenFilesystems {
        handedOver.withLock { $0 = true }
        connection.requestFreeze()
        if await connection.waitUntilFrozen() {
            // The deadline was armed after the freeze command: no wait before it to account for.
            return GuardedFrozenFilesystems(mounts: mounts, connection: connection, lockWait: .zero)
        }
        throw await GuardedFreezer.failure(of: connection)
    }
}

/// Filesystems a freeze guard holds frozen; `thaw` (or releasing this object) makes it thaw them.
public final class GuardedFrozenFilesystems: FrozenFilesystems {
    public let mounts: [String]
    private let connection: GuardConnection

    /// The guard process holding the freeze.
    public var guardProcessID: pid_t { connection.processID }

    /// How long the guard waited (for the freeze lock) between the freeze being asked and its deadline being armed.
    public let lockWait: Duration

    init(mounts: [String], connection: GuardConnection, lockWait: Duration) {
        self.mounts = mounts
        self.connection = connection
        self.lockWait = lockWait
    }

    /// A handle nobody can thaw through any more: tell the guard to thaw now.
    deinit {
        connection.requestThaw()
    }

    public func thaw() async -> ThawReport {
        await thawWithDetails().thawReport
    }

    /// Thaws and returns the guard's full report (thaw order, per-mount failures, window).
    public func thawWithDetails() async -> FreezeGuardMessage {
        await connection.thaw() ?? connection.emergency.run()
    }

    /// Waits for the guard's final report without asking it to thaw (it thaws on its own at the deadline).
    public func waitForGuard() async -> FreezeGuardMessage {
        await connection.finalReport() ?? connection.emergency.run()
    }
}

/// The last resort when a guard vanished without reporting: FITHAW every mount from this process, and put back
/// `rcu_expedited` if the guard died holding it.
struct EmergencyThaw: Sendable {
    let mounts: [String]
    /// The knob, when it held 0 before the guard started (only then may the guard have changed it).
    let rcuKnobToRecover: String?

    func run() -> FreezeGuardMessage {
        var failures: [String: String] = [:]
        for mount in mounts.reversed() {
            let descriptor: FileDescriptor
            do {
                descriptor = try FileDescriptor.open(mount, O_RDONLY | O_DIRECTORY)
            } catch {
                failures[mount] = "cannot open for thaw: \(SystemError.text(error.number))"
                continue
            }
            do {
                try descriptor.closeAfter { () throws(SystemError) in try descriptor.thawFilesystem() }
            } catch  where error.number != EINVAL {  // EINVAL: it was not frozen
                failures[mount] = "FITHAW failed: \(SystemError.text(error.number))"
            } catch {}
        }
        return FreezeGuardMessage(
            kind: .finished, failureCode: 121, failureMessage: "the freeze guard exited without a report",
            thawOrder: mounts.reversed(), thawFailures: failures,
            gracePeriods: rcuKnobToRecover.flatMap(GracePeriodExpediter.recover))
    }
}

extension FreezeGuardMessage {
    /// `mount: reason` pairs, sorted, for messages.
    var thawSummary: String {
        ThawReport.describe(thawFailures).joined(separator: "; ")
    }

    /// What an emergency thaw did, for messages.
    var summary: String { thawFailures.isEmpty ? "all thawed" : thawSummary }
}
