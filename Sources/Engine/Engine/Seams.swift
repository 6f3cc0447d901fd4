import Basics
import Foundation

/// Freezes the VM's filesystems for the snapshot window and guarantees that they are thawed again.
///
/// The engine calls `freeze` after pre-connecting and before snapshotting, and `thaw` on the handle
/// afterwards on every path. Implementations arm their own deadline before the first FIFREEZE.
public protocol FilesystemFreezer: Sendable {
    /// Freezes every mount; throws a `JobFailure` (codes 121/122/123/124) when that fails, after thawing
    /// whatever was already frozen. `notice` hears what the job should log while it waits (e.g. for the freeze lock).
    func freeze(timeout: Duration, notice: @escaping @Sendable (String) -> Void) async throws -> any FrozenFilesystems
    /// Does the slow part of a freeze ahead (start a guard, take the freeze lock, open and flush the mounts) so that
    /// the result's `freeze` only freezes; the job prepares before a database quiesce, keeping that window short.
    /// `timeout` is armed at that `freeze`; a prepared freeze not used within `freezeWithin` ends unfrozen.
    func prepare(timeout: Duration, freezeWithin: Duration, notice: @escaping @Sendable (String) -> Void) async throws
        -> any PreparedFreeze
}

extension FilesystemFreezer {
    /// Prepares nothing: the result's `freeze` does all the work.
    public func prepare(
        timeout: Duration, freezeWithin: Duration, notice: @escaping @Sendable (String) -> Void
    ) async throws -> any PreparedFreeze {
        UnpreparedFreeze(freezer: self, timeout: timeout, notice: notice)
    }
}

/// A freeze made ready by `FilesystemFreezer.prepare`; dropping it unused releases what it holds.
public protocol PreparedFreeze: Sendable {
    /// Freezes every mount, with the same outcomes as `FilesystemFreezer.freeze`.
    func freeze() async throws -> any FrozenFilesystems
}

/// The default `PreparedFreeze`: the whole freeze happens at `freeze`.
private struct UnpreparedFreeze: PreparedFreeze {
    let freezer: any FilesystemFreezer
    let timeout: Duration
    let notice: @Sendable (String) -> Void

    func freeze() async throws -> any FrozenFilesystems {
        try await freezer.freeze(timeout: timeout, notice: notice)
    }
}

/// A set of filesystems that is currently frozen.
public protocol FrozenFilesystems: Sendable {
    /// The mount points in freeze order.
    var mounts: [String] { get }
    /// Thaws in reverse order; never throws, reports each mount's result.
    func thaw() async -> ThawReport
    /// How long the freezer waited (e.g. for the freeze lock) before arming its deadline.
    var lockWait: Duration { get }
}

extension FrozenFilesystems {
    public var lockWait: Duration { .zero }
}

/// What thawing found.
public struct ThawReport: Sendable, Equatable, Codable {
    /// Mounts that failed to thaw, with the reason.
    public var failures: [String: String]
    /// From the first FIFREEZE to the last FITHAW.
    public var freezeWindow: Duration
    /// Whether the guard thawed on its own because the deadline passed before `thaw` was asked.
    public var thawedByDeadline: Bool
    /// How the freeze was made, for the log, e.g. "RCU grace periods expedited during FIFREEZE".
    public var freezeNote: String?

    public init(
        failures: [String: String] = [:], freezeWindow: Duration, thawedByDeadline: Bool = false,
        freezeNote: String? = nil
    ) {
        self.failures = failures
        self.freezeWindow = freezeWindow
        self.thawedByDeadline = thawedByDeadline
        self.freezeNote = freezeNote
    }

    /// `mount: reason` for each thaw failure, sorted by mount, for messages and the log.
    public static func describe(_ failures: [String: String]) -> [String] {
        failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
    }
}

/// Runs the pre- and post-scripts of VMSnapshotScriptPluginConfig.json.
///
/// Order: pre-script, freeze, snapshot, thaw, post-script. The engine calls `runPostScript` whenever the
/// pre-script ran (`ran`), even when the pre-script or the snapshot failed.
public protocol ScriptRunner: Sendable {
    /// Whether filesystems should be frozen (the config's `fsFreezeEnabled`).
    var freezeEnabled: Bool { get }
    /// Runs the pre-script (with its retries and timeout).
    func runPreScript() async -> ScriptOutcome
    /// Runs the post-script (with its retries and timeout).
    func runPostScript() async -> ScriptOutcome
    /// The longest the phase's script may take (its timeout across attempts); zero when none is configured.
    func timeLimit(_ phase: ScriptPhase) -> Duration
    /// What the configuration changed while accepting it (e.g. a clamped timeout), for the job log.
    var warnings: [String] { get }
    /// The configuration as telemetry reports it: whether it is usable (`isPrePostEnabled`) and its `appName`.
    var telemetry: ScriptTelemetry { get }
}

extension ScriptRunner {
    public func timeLimit(_ phase: ScriptPhase) -> Duration { .zero }
    public var warnings: [String] { [] }
    public var telemetry: ScriptTelemetry { ScriptTelemetry() }
}

/// What the status blob's telemetry says about the script configuration.
public struct ScriptTelemetry: Sendable, Equatable {
    /// The configuration exists and passed its checks (telemetry `isPrePostEnabled`: `true`).
    public var usable = false
    /// The configuration's `appName` (telemetry `appName`).
    public var appName: String?

    public init(usable: Bool = false, appName: String? = nil) {
        self.usable = usable
        self.appName = appName
    }
}

/// The result of one pre- or post-script phase.
public struct ScriptOutcome: Sendable, Equatable {
    /// 0 when the script ran clean or there was none; else one of 300...318.
    public var code: ResultCode
    /// Whether a script was configured and actually ran.
    public var ran: Bool
    /// Whether the backup may go on (continueBackupOnFailure, or success).
    public var continueBackup: Bool
    /// Human-readable summary (already redacted), e.g. "pre-script exited 3 after 2 attempts".
    public var message: String
    /// The tail of the script's combined stdout and stderr (redacted), for the log.
    public var output: String

    public init(code: ResultCode, ran: Bool, continueBackup: Bool, message: String, output: String = "") {
        self.code = code
        self.ran = ran
        self.continueBackup = continueBackup
        self.message = Redactor.redact(message)
        self.output = Redactor.redact(output)
    }

    /// No script configured.
    public static let none = ScriptOutcome(code: 0, ran: false, continueBackup: true, message: "no script configured")
}

/// A failure that ends a job with a specific extension result code (see the error catalog).
public struct JobFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Extension result code, e.g. 11, 15, 121.
    public var code: ResultCode
    /// Redacted explanation.
    public var message: String

    public init(code: ResultCode, message: String) {
        self.code = code
        self.message = Redactor.redact(message)
    }

    public var description: String { "code \(code): \(message)" }
}
