import Basics
import Engine
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

    public static let statusBlobName = "status blob"
    public static let statusFileName = "status file"
    public static let logName = "log"

    /// A polled source not refreshed for this long is stale: three polls missed, plus 2 s.
    public static func staleAfter(_ interval: TimeInterval) -> TimeInterval { interval * 3 + 2 }

    /// Freshness entries for the sources these locations name, in header order.
    public func freshness() -> [SourceFreshness] {
        var sources: [SourceFreshness] = []
        if statusBlobURI != nil {
            sources.append(SourceFreshness(name: Self.statusBlobName, staleAfter: Self.staleAfter(interval)))
        }
        if pluginDirectory != nil {
            sources.append(SourceFreshness(name: Self.statusFileName, staleAfter: Self.staleAfter(interval)))
        }
        if logFile != nil { sources.append(SourceFreshness(name: Self.logName, staleAfter: 5)) }
        return sources
    }

    /// Resolves each source: the option, else the configuration file's value, else discovery under the agent
    /// directory (plugin directory), HandlerEnvironment.json's log folder or /var/log/azure (log), and the newest
    /// settings (status blob, protected settings decrypted in memory when the certificate is there).
    public static func resolve(
        statusBlob: String?, pluginDirectory: String?, logDirectory: String?, interval: TimeInterval?,
        configuration: VMSnapConfiguration?, agentDirectory: String = PluginDirectory.defaultAgentDirectory
    ) -> MonitorSourceLocations {
        let plugin =
            (pluginDirectory ?? configuration?.resolvedPluginDirectory()).map(PluginDirectory.init(path:))
            ?? PluginDirectory.discover(agentDirectory: agentDirectory)
        let logFolder =
            logDirectory ?? configuration?.logDirectory ?? plugin?.logDirectory
            ?? VMSnapConfiguration.defaults.logDirectory
        var blob = statusBlob == VMSnapConfiguration.discoverKeyword ? nil : statusBlob
        if statusBlob == nil, case .uri(let uri)? = configuration?.statusBlob { blob = uri.original }
        if blob == nil, let plugin {
            let fromSettings = try? SettingsLoader.parse(path: plugin.path).settings.statusBlob?.original
            blob = fromSettings ?? plugin.publicStatusBlobURI()
        }
        return MonitorSourceLocations(
            statusBlobURI: blob, pluginDirectory: plugin?.path,
            logFile: (logFolder as NSString).appendingPathComponent("extension.log"),
            interval: interval ?? configuration?.pollIntervalSeconds ?? VMSnapConfiguration.defaults.pollIntervalSeconds
        )
    }
}

/// The local sources (newest status file, extension.log), re-read only when they changed.
public final class LocalSources {
    public let plugin: PluginDirectory?
    public let tailer: LogTailer?
    private let statusFile = FileChangeTracker()

    public init(locations: MonitorSourceLocations) {
        plugin = locations.pluginDirectory.map(PluginDirectory.init(path:))
        tailer = locations.logFile.map { LogTailer(path: $0) }
    }

    /// Fills what one document knows for another: a status blob document (which carries no sequence number) gets
    /// the sequence of the status file describing the same task; and a document older than the newest settings on
    /// the VM is labelled with that newer sequence number.
    public static func label(_ job: inout JobSnapshot, against documents: [JobSnapshot], newestSettings: Int?) {
        if job.sequenceNumber == nil, let taskID = job.taskID {
            job.sequenceNumber = documents.first { $0.taskID == taskID && $0.sequenceNumber != nil }?.sequenceNumber
        }
        if let sequence = job.sequenceNumber, let newest = newestSettings, newest > sequence {
            job.newerSequenceNumber = newest
        } else {
            job.newerSequenceNumber = nil
        }
    }

    /// The newest status file when it changed since the last call (`.success(nil)`: unchanged or none).
    public func changedStatusFile() -> Result<JobSnapshot?, StatusDocumentError> {
        guard let plugin, let newest = plugin.newestStatus, statusFile.changed(newest.path) else {
            return .success(nil)
        }
        do {
            return .success(try plugin.readNewestStatus())
        } catch {
            statusFile.forget()
            return .failure(error)
        }
    }
}
