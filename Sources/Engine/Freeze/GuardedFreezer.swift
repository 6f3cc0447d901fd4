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
/// the guard holds the lock file the peer shares with Site Recovery while anything is frozen.
public struct GuardedFreezer: FilesystemFreezer {
    /// The lock file the Linux peer and Azure Site Recovery use.
    public static let defaultLockPath = "/etc/azure/MicrosoftRecoverySvcsSafeFreezeLock/SafeFreezeLockFile"

    /// Explicit mount points (`/` is moved last); nil discovers them from mountinfo.
    public var mounts: [String]?
    /// Mount points or fnmatch globs discovery leaves out.
    public var mountsToSkip: [String]
    /// The `vmsnap` executable that runs `freeze-guard`.
    public var guardExecutable: String
    public var lockPath: String
    public var mountInfoPath: String
    /// Whether the guard holds `rcu_expedited` at 1 (if it was 0) during its FIFREEZE calls, which makes each
    /// FIFREEZE take about a millisecond instead of tens; the previous value is always put back.
    public var expediteGracePeriods: Bool
    /// The kernel's expedited-RCU knob (tests point it at a file of their own).
    public var rcuExpeditedPath: String

    public init(
        mounts: [String]? = nil, mountsToSkip: [String] = [], guardExecutable: String = "/proc/self/exe",
        lockPath: String = Self.defaultLockPath, mountInfoPath: String = "/proc/self/mountinfo",
        expediteGracePeriods: Bool = true, rcuExpeditedPath: String = Self.defaultRCUExpeditedPath
    ) {
        self.mounts = mounts
        self.mountsToSkip = mountsToSkip
        self.guardExecutable = guardExecutable
        self.lockPath = lockPath
        self.mountInfoPath = mountInfoPath
        self.expediteGracePeriods = expediteGracePeriods
        self.rcuExpeditedPath = rcuExpeditedPath
    }

    /// The kernel's expedited-RCU knob.
    public static var defaultRCUExpeditedPath: String { GracePeriodExpediter.defaultKnobPath }

    public func freeze(timeout: Duration) async throws -> any FrozenFilesystems {
        try await freezeGuarded(timeout: timeout)
    }

    /// Freezes every mount; on failure the guard has already thawed what it froze.
    public func freezeGuarded(timeout: Duration) async throws(JobFailure) -> GuardedFrozenFilesystems {
        let mountList = try resolveMounts()
        guard access(guardExecutable, X_OK) == 0 else {
            throw JobFailure(code: 124, message: "the freeze guard \(guardExecutable) is missing or not executable")
        }
        signal(SIGPIPE, SIG_IGN)  // the guard may close its command pipe first (deadline)
        let arguments =
            [
                "freeze-guard", "--timeout-ms", String(max(1, timeout.wholeNanoseconds / 1_000_000)), "--parent-pid",
                String(getpid()), "--lock-file", lockPath,
            ]
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
                executable: guardExecutable, arguments: arguments, emergency: emergency)
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

    private func resolveMounts() throws(JobFailure) -> [String] {
        if let mounts {
            if let relative = mounts.first(where: { !$0.hasPrefix("/") }) {
                throw JobFailure(code: 123, message: "mount point '\(relative)' is not an absolute path")
            }
            return MountDiscovery.rootLast(mounts)
        }
        do {
            return try MountDiscovery.discover(mountsToSkip: mountsToSkip, mountInfoPath: mountInfoPath)
        } catch {
            throw JobFailure(code: 121, message: "cannot read \(mountInfoPath): \(error.localizedDescription)")
        }
    }
}

/// Filesystems a freeze guard holds frozen; `thaw` (or releasing this object) makes it thaw them.
public final class GuardedFrozenFilesystems: FrozenFilesystems {
    public let mounts: [String]
    private let connection: GuardConnection

    /// The guard process holding the freeze.
    public var guardProcessID: pid_t { connection.processID }

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
            let descriptor = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else {
                failures[mount] = "cannot open for thaw: \(SystemError.text(errno))"
                continue
            }
            if vmsnap_fithaw(descriptor) != 0 && errno != EINVAL {  // EINVAL: it was not frozen
                failures[mount] = "FITHAW failed: \(SystemError.text(errno))"
            }
            close(descriptor)
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
