import Basics
import Foundation

/// Runs the pre- and post-scripts of VMSnapshotScriptPluginConfig.json (the `ScriptRunner` seam).
///
/// No config file means no scripts (a filesystem-consistent backup). A config that is not root-owned with
/// mode 600, or does not parse, yields its code (317, 318, 305) from `runPreScript` without running anything.
/// The engine runs the post-script whenever the pre-script ran (`ScriptOutcome.ran`), also when the pre-script
/// or the snapshot failed.
public struct ScriptPlugin: ScriptRunner, Equatable {
    /// Where the Azure Backup documentation puts the config.
    public static let defaultConfigPath = "/etc/azure/VMSnapshotScriptPluginConfig.json"

    private enum State: Sendable, Equatable {
        case notConfigured
        case invalid(ScriptConfigError)
        case ready(ScriptPluginConfig)
    }

    public let configPath: String
    private let state: State

    /// Reads and checks the config at `configPath` now; its problems surface from `runPreScript`.
    public init(configPath: String = Self.defaultConfigPath) {
        self.configPath = configPath
        guard FileManager.default.fileExists(atPath: configPath) else {
            state = .notConfigured
            return
        }
        do {
            state = .ready(try ScriptPluginConfig.load(path: configPath))
        } catch {
            state = .invalid(error)
        }
    }

    /// The validated config, when there is one.
    public var config: ScriptPluginConfig? {
        if case .ready(let config) = state { return config }
        return nil
    }

    /// Why the config cannot be used (it fails the job's pre-script phase with this code), when it cannot.
    public var problem: ScriptConfigError? {
        if case .invalid(let error) = state { return error }
        return nil
    }

    public var freezeEnabled: Bool { config?.fsFreezeEnabled ?? true }

    public func runPreScript() async -> ScriptOutcome {
        switch state {
        case .notConfigured: return .none
        case .invalid(let error):
            return ScriptOutcome(code: ResultCode(error.code), ran: false, continueBackup: true, message: error.message)
        case .ready(let config): return await run(config.preScript, .pre, config)
        }
    }

    public func timeLimit(_ phase: ScriptPhase) -> Duration {
        guard let config, !(phase == .pre ? config.preScript : config.postScript).location.isEmpty else { return .zero }
        return config.timeout
    }

    public var warnings: [String] { config?.warnings ?? [] }

    /// Usable when the config exists and passed its checks (not 305, 316, 317, 318).
    public var telemetry: ScriptTelemetry { ScriptTelemetry(usable: config != nil, appName: config?.appName) }

    public func runPostScript() async -> ScriptOutcome {
        guard case .ready(let config) = state else { return .none }
        return await run(config.postScript, .post, config)
    }

    private func run(_ spec: ScriptSpec, _ phase: ScriptPhase, _ config: ScriptPluginConfig) async -> ScriptOutcome {
        guard !spec.location.isEmpty else { return .none }
        return await ScriptExecution(
            spec: spec, phase: phase, timeout: config.timeout, continueBackupOnFailure: config.continueBackupOnFailure
        ).run()
    }
}
