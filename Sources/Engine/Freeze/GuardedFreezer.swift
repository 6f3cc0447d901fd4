import Basics
import CVMSnapSystem
import Foundation

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
        if let relative = mounts.first(where: { !$0.hasPrefix("/") }) {
            throw JobFailure(code: 123, message: "mount point '\(relative)' is not an absolute path")
        }
        let mountList = MountPlanner.rootLast(mounts)
        guard access(guardExecutable, X_OK) == 0 else {
            throw JobFailure(code: 124, message: "the freeze guard \(guardExecutable) is missing or not executable")
        }
        signal(SIGPIPE, SIG_IGN)  // the guard may close its command pipe first (deadline)
        let arguments =
            [
                "freeze-guard", "--timeout-ms", String(max(1, timeout.wholeNanoseconds / 1_000_000)), "--parent-pid",
                String(getpid()), "--lock-file", lockPath, "--lock-wait-ms",
                String(lockWait.wholeNanoseconds / 1_000_000),
            ]
            + (freezeWait.map { ["--freeze-wait-ms", String(max(1, $0.wholeNanoseconds / 1_000_000))] } ?? [])
            + (expediteGracePeriods
                ? ["--expedite-rcu", "--rcu-expedited-file", rcuExpeditedPath] : ["--no-expedite-rcu"])
            + ["--"] + mountList
        let emergency = EmergencyThaw(
            mounts: mountList,
            rcuKnobToRecover: expediteGracePeriods && GracePeriodExpediter.holdsZero(rcuExpeditedPath)
                ? rcuExpeditedPath : nil)
        let connection: GuardConnection
        do {
            connection = try GuardConnection.start(
                executable: guardExecutable, arguments: arguments, emergency: emergency
            ) { [lockPath, lockWait] message in
                let holder = message.lockHolderPID.map { " held by PID \($0)" } ?? ""
                let waited = Int((Double(message.lockWaitNanoseconds) / 1e9).rounded())
                notice(
                    "waiting for the freeze lock\(holder) (\(lockPath)): \(waited) of \(lockWait.components.seconds) s")
            }
        } catch {
            throw JobFailure(code: 124, message: "cannot start the freeze guard: \(error)")
        }
        if await connection.waitUntilFrozen() {
            return GuardedFrozenFilesystems(mounts: mountList, connection: connection)
        }
        guard let report = await connection.finalReport() else {
            let thawed = emergency.run()
            throw JobFailure(
                code: 121, message: "the freeze guard exited without a report; thawed directly: \(thawed.summary)")
        }
        var message = report.failureMessage ?? "the freeze guard ended before freezing"
        if !report.thawFailures.isEmpty { message += "; thaw problems: \(report.thawSummary)" }
        throw JobFailure(code: report.failureCode.map { ResultCode($0) } ?? .freezeFailed, message: message)
    }
}

/// Filesystems a freeze guard holds frozen; `thaw` (or releasing this object) makes it thaw them.
public final class GuardedFrozenFilesystems: FrozenFilesystems {
    public let mounts: [String]
    private let connection: GuardConnection

    /// The guard process holding the freeze.
    public var guardProcessID: pid_t { connection.processID }

    /// How long the guard waited for the freeze lock: its deadline was armed this much after it started.
    public var lockWait: Duration { connection.lockWait }

    init(mounts: [String], connection: GuardConnection) {
        self.mounts = mounts
        self.connection = connection
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
