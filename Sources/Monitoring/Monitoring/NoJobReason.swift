import Basics
import Engine
import Foundation

/// Why `status --once` found no job, each with an exit status of its own.
public enum NoJobReason: String, Sendable, CaseIterable {
    /// The sources are there and were read (a status blob not created yet included), and hold no status document.
    case noJobYet = "no job yet"
    /// Neither a plugin directory nor a status blob was found: the extension is not installed here.
    case notInstalled = "not installed"
    /// A status source (the status blob, the newest status file) could not be read.
    case unreadable = "source unreadable"

    /// 5 no job yet, 6 not installed, 7 a source could not be read.
    public var exitStatus: Int32 {
        switch self {
        case .noJobYet: 5
        case .notInstalled: 6
        case .unreadable: 7
        }
    }

    /// The reason as the report's first line says it.
    public var explanation: String {
        switch self {
        case .noJobYet: "no job yet: the extension's sources hold no status document"
        case .notInstalled: "the extension is not installed: no plugin directory and no status blob found"
        case .unreadable: "a status source could not be read"
        }
    }

    /// The reason for sources that gave no document.
    static func judge(sources: [SourceFreshness]) -> NoJobReason {
        let documentSources = sources.filter {
            $0.name == MonitorSourceLocations.statusBlobName || $0.name == MonitorSourceLocations.statusFileName
        }
        if documentSources.isEmpty { return .notInstalled }
        // A status blob that does not exist yet (404) is no failure: the first job creates it.
        let failed = documentSources.filter { $0.failingSince != nil && $0.lastError?.hasPrefix("404 ") != true }
        if !failed.isEmpty { return .unreadable }
        return .noJobYet
    }
}
