import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A temporary folder with a VMSnapshotScriptPluginConfig.json and scripts, root-owned as the spec demands.
public final class ScriptFixture {
    public let directory: String
    public var configPath: String { directory + "/VMSnapshotScriptPluginConfig.json" }

    public init() throws {
        directory = NSTemporaryDirectory() + "vmsnap-scripts-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes an executable shell script (mode 700 unless given) and returns its path.
    public func script(_ name: String, _ body: String, mode: mode_t = 0o700) -> String {
        let path = directory + "/" + name
        try? Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
        return path
    }

    /// Writes the config (mode 600 unless given) with `fields` over the spec defaults.
    public func config(_ fields: [String: Any], mode: mode_t = 0o600) throws {
        let data = try JSONSerialization.data(withJSONObject: ["pluginName": "ScriptRunner"].merging(fields) { $1 })
        try write(data, mode: mode)
    }

    /// Replaces the config file's bytes and sets its mode.
    public func write(_ data: Data, mode: mode_t = 0o600) throws {
        try data.write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, mode)
    }

    /// A plugin reading the config as it is now.
    public var plugin: ScriptPlugin { ScriptPlugin(configPath: configPath) }

    /// The lines of a file in the folder (none when it does not exist).
    public func lines(_ name: String) -> [Substring] {
        ((try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? "").split(separator: "\n")
    }
}

/// Whether a process has ended, as /proc tells.
public enum ProcessState {
    /// Waits up to `timeout` for `pid` to disappear or become a zombie (SIGKILL is delivered asynchronously).
    public static func ends(_ pid: pid_t, within timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !isAlive(pid) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !isAlive(pid)
    }

    /// Whether `pid` exists and is not a zombie.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return stat.split(separator: ")").last?.split(separator: " ").first != "Z"
    }
}
