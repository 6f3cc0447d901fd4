import Core
import Emulator
import Foundation
import Synchronization
import TUI

/// Measures the freeze window of real snapshot jobs: `SnapshotJob` with a `GuardedFreezer` on real mounts,
/// snapshotting real blobs (the caller provides both, e.g. loop filesystems and the emulator).
public struct FreezeBenchmark: Sendable {
    /// One job's figures.
    public struct Sample: Sendable, Codable, Equatable {
        /// The job's result code (1: filesystem-consistent success).
        public var code: Int
        /// First FIFREEZE to last FITHAW.
        public var windowMilliseconds: Double
        /// First FIFREEZE call to the last one's return (the kernel's part).
        public var freezingMilliseconds: Double
        /// From the thaw decision to the last FITHAW's return (the kernel's part).
        public var thawingMilliseconds: Double
        /// What the guard did with the `rcu_expedited` knob.
        public var gracePeriods: GracePeriodExpediting.Outcome?
        /// From the database quiesce statement to its confirmed release (nil without a database).
        public var databaseWindowMilliseconds: Double?
        /// From everything frozen to the thaw decision: the snapshots and vmsnap's own overhead.
        public var heldMilliseconds: Double { windowMilliseconds - freezingMilliseconds - thawingMilliseconds }
    }

    public var disks: [SASBlobURI]
    public var mounts: [String]
    public var guardExecutable: String
    public var lockPath: String
    /// Whether the guard expedites RCU grace periods during its FIFREEZE calls.
    public var expediteGracePeriods: Bool
    /// The database quiesced around each freeze (workload.conf), if any.
    public var database: DatabaseWorkload?

    public init(
        disks: [SASBlobURI], mounts: [String], guardExecutable: String, lockPath: String,
        expediteGracePeriods: Bool = true
    ) {
        self.disks = disks
        self.mounts = mounts
        self.guardExecutable = guardExecutable
        self.lockPath = lockPath
        self.expediteGracePeriods = expediteGracePeriods
    }

    /// Runs `runs` jobs one after another on one blob client (as one process would), returning each one's figures.
    public func run(runs: Int) async -> [Sample] {
        let client = BlobClient()
        var samples: [Sample] = []
        for run in 0..<runs {
            let freezer = RecordingFreezer(
                freezer: GuardedFreezer(
                    mounts: mounts, guardExecutable: guardExecutable, lockPath: lockPath,
                    expediteGracePeriods: expediteGracePeriods))
            let settings = JobSettings(
                taskID: "freeze-bench-\(run)-\(UUID().uuidString)", command: "snapshot", disks: disks,
                source: "vmsnap bench freeze")
            var options = SnapshotJobOptions(freezeTimeout: .seconds(30), freezer: freezer)
            options.database = database
            let job = SnapshotJob(settings: settings, options: options, client: client)
            let result = await job.run()
            let report = freezer.lastReport
            samples.append(
                Sample(
                    code: result.code.rawValue, windowMilliseconds: Double(report?.windowNanoseconds ?? 0) / 1e6,
                    freezingMilliseconds: Double(report?.freezingNanoseconds ?? 0) / 1e6,
                    thawingMilliseconds: Double(report?.thawingNanoseconds ?? 0) / 1e6,
                    gracePeriods: report?.gracePeriods?.outcome,
                    databaseWindowMilliseconds: result.databaseWindowMilliseconds))
        }
        return samples
    }
}

/// A `GuardedFreezer` that keeps the guard's full report of its last thaw.
private final class RecordingFreezer: FilesystemFreezer {
    private let freezer: GuardedFreezer
    private let report = Mutex<FreezeGuardMessage?>(nil)

    init(freezer: GuardedFreezer) { self.freezer = freezer }

    var lastReport: FreezeGuardMessage? { report.withLock { $0 } }

    func freeze(timeout: Duration, notice: @escaping @Sendable (String) -> Void) async throws
        -> any FrozenFilesystems
    {
        RecordingFrozen(frozen: try await freezer.freezeGuarded(timeout: timeout, notice: notice), owner: self)
    }

    func prepare(timeout: Duration, freezeWithin: Duration, notice: @escaping @Sendable (String) -> Void)
        async throws -> any PreparedFreeze
    {
        RecordingPrepared(
            prepared: try await freezer.prepareGuarded(timeout: timeout, freezeWithin: freezeWithin, notice: notice),
            owner: self)
    }

    fileprivate func record(_ message: FreezeGuardMessage) { report.withLock { $0 = message } }
}

private struct RecordingPrepared: PreparedFreeze {
    let prepared: PreparedGuardedFreeze
    let owner: RecordingFreezer

    func freeze() async throws -> any FrozenFilesystems {
        RecordingFrozen(frozen: try await prepared.freezeGuarded(), owner: owner)
    }
}

private struct RecordingFrozen: FrozenFilesystems {
    let frozen: GuardedFrozenFilesystems
    let owner: RecordingFreezer

    var mounts: [String] { frozen.mounts }
    var lockWait: Duration { frozen.lockWait }

    func thaw() async -> ThawReport {
        let message = await frozen.thawWithDetails()
        owner.record(message)
        return message.thawReport
    }
}
