import Foundation

/// Where the monitor reads from: explicit options first, then the config file, then discovery on the VM.
public struct MonitorSourceLocations: Sendable, Equatable {
    /// The status blob SAS URI. Secret: print only `Redactor.redact` of it.
    public var statusBlobURI: String?
    public var pluginDirectory: String?
    /// extension.log's full path.
    public var logFile: String?
    /// Poll interval, at least `StatusBlobPoller.minimumInterval`.
    public var interval: TimeInterval

    public init(statusBlobURI: String?, pluginDirectory: String?, logFile: String?, interval: TimeInterval) {
        self.statusBlobURI = statusBlobURI
        self.pluginDirectory = pluginDirectory
        self.logFile = logFile
        self.interval = max(StatusBlobPoller.minimumInterval, interval)
    }

    /// Resolves each source: the option, else the configured value, else discovery under the agent directory
    /// (plugin directory), HandlerEnvironment.json's log folder or /var/log/azure (log), and the newest settings
    /// (status blob; `statusBlobFromSettings` may decrypt protected settings).
    public static func resolve(
        statusBlob: String?, pluginDirectory: String?, logDirectory: String?, interval: TimeInterval,
        agentDirectory: String = PluginDirectory.defaultAgentDirectory,
        statusBlobFromSettings: (PluginDirectory) -> String? = { $0.publicStatusBlobURI() }
    ) -> MonitorSourceLocations {
        let plugin =
            pluginDirectory.map(PluginDirectory.init(path:)) ?? PluginDirectory.discover(agentDirectory: agentDirectory)
        let logFolder = logDirectory ?? plugin?.logDirectory ?? PluginDirectory.defaultLogDirectory
        let blob: String? =
            if let statusBlob, statusBlob != "discover" { statusBlob } else { plugin.flatMap(statusBlobFromSettings) }
        return MonitorSourceLocations(
            statusBlobURI: blob, pluginDirectory: plugin?.path,
            logFile: (logFolder as NSString).appendingPathComponent("extension.log"), interval: interval)
    }
}

/// The local sources (newest status file, extension.log), re-read only when they changed.
public final class LocalSources {
    public let plugin: PluginDirectory?
    public let tailer: LogTailer?
    private var statusIdentity: String?

    public init(locations: MonitorSourceLocations) {
        plugin = locations.pluginDirectory.map(PluginDirectory.init(path:))
        tailer = locations.logFile.map { LogTailer(path: $0) }
    }

    /// The newest status file when it changed since the last call (`.success(nil)`: unchanged or none).
    public func changedStatusFile() -> Result<JobSnapshot?, StatusDocumentError> {
        guard let plugin, let newest = plugin.newestStatus else { return .success(nil) }
        let attributes = try? FileManager.default.attributesOfItem(atPath: newest.path)
        let identity =
            "\(newest.path)|\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)|"
            + "\(attributes?[.size] as? Int ?? 0)"
        guard identity != statusIdentity else { return .success(nil) }
        do {
            let snapshot = try plugin.readNewestStatus()
            statusIdentity = identity
            return .success(snapshot)
        } catch {
            return .failure(error)
        }
    }
}
