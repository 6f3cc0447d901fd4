import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Guest-agent event files (storage-details.md §3): a job's warnings and errors as JSON event files in the handler's
/// `eventsFolder`, which the guest agent forwards to Azure. Same folder, names and eight keys as the peer's, with the
/// real level in `EventLevel`, the real extension version in `Version` and UTC-correct file names. Lines below the level
/// of `<extension dir>/main/LogSeverity.json` are left out; `GuestAgentEventFlusher` writes the files during the job and
/// at its end (never while filesystems are frozen: the folder may be on a frozen filesystem).
public struct GuestAgentEvents: Sendable {
    /// A log line's level, as the agent's events name it.
    public enum Level: Int, Sendable, Comparable {
        case verbose, info, warning, error

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        var name: String { ["Verbose", "Info", "Warning", "Error"][rawValue] }
    }

    /// The most the folder may hold; a file that would overflow it is not written.
    public static let folderCap = 39_981_250
    /// An event's message grows while it stays within this many characters.
    static let messageLimit = 3000
    /// A longer line is cut into pieces of this many characters.
    static let pieceLength = 2900
    /// The operation id before the task id is known.
    public static let unknownOperation = "00000000-0000-0000-0000-000000000000"
    /// Creating and writing a file, and moving it: this many attempts each.
    public static let attempts = 3
    /// The level file, relative to the extension directory.
    public static let severityFile = "main/LogSeverity.json"

    public let folder: String
    /// The extension directory's name, e.g. `Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.0`.
    public let version: String
    /// The job's `taskId`.
    public let operationID: String
    /// Lines below this level do not become events (the peer's default EventLogLevel 2).
    public var minimumLevel = Level.warning
    /// The wait between attempts: 10 s, as the peer waits (tests pass their own). The writes block: never call
    /// `write` on the cooperative thread pool.
    public var pauseBetweenAttempts: @Sendable () -> Void = { Thread.sleep(forTimeInterval: 10) }

    public init(folder: String, version: String, operationID: String) {
        self.folder = folder
        self.version = version
        self.operationID = operationID.isEmpty ? Self.unknownOperation : operationID
    }

    /// The level of `<extensionDirectory>/main/LogSeverity.json` (`{"EventLogLevel": N}`: 0 Verbose, 1 Info,
    /// 2 Warning, anything else Error), Warning when the file is missing; a file that cannot be read as such gives
    /// Warning too and a problem naming it.
    public static func minimumLevel(extensionDirectory: String) -> (level: Level, problem: String?) {
        let path = (extensionDirectory as NSString).appendingPathComponent(severityFile)
        guard let data = FileManager.default.contents(atPath: path) else { return (.warning, nil) }
        guard case .object(let members)? = try? JSONValue.parse(data),
            case .integer(let number)? = members["EventLogLevel"]
        else {
            return (.warning, "\(path): expected {\"EventLogLevel\": <integer>}: events from Warning up")
        }
        return (Level(rawValue: Int(min(max(number, 0), 3))) ?? .error, nil)
    }

    /// Deletes files older than 24 hours in the folder and its Temp folder.
    public func removeStale(now: Date = Date()) {
        let files = FileManager.default
        for directory in [folder, folder + "/Temp"] {
            for name in (try? files.contentsOfDirectory(atPath: directory)) ?? [] {
                let path = directory + "/" + name
                guard let attributes = try? files.attributesOfItem(atPath: path),
                    attributes[.type] as? FileAttributeType == .typeRegular,
                    let modified = attributes[.modificationDate] as? Date, now.timeIntervalSince(modified) > 86_400
                else { continue }
                try? files.removeItem(atPath: path)
            }
        }
    }

    /// Writes the events of `logLines` (extension.log lines) as one file, staged in `Temp/` and moved into the folder;
    /// returns its path, or nil when no line reaches `minimumLevel` or the folder is full.
    @discardableResult
    public func write(logLines: [String], now: Date = Date()) throws -> String? {
        let events = self.events(from: logLines, closedAt: now)
        guard !events.isEmpty else { return nil }
        let data = try JSONSerialization.data(withJSONObject: events, options: [.sortedKeys])
        let files = FileManager.default
        let used = ((try? files.contentsOfDirectory(atPath: folder)) ?? []).reduce(0) { total, name in
            total + ((try? files.attributesOfItem(atPath: folder + "/" + name))?[.size] as? Int ?? 0)
        }
        guard used + data.count <= Self.folderCap else { return nil }
        let staging = folder + "/Temp"
        defer { try? files.removeItem(atPath: staging) }
        var name = Self.nanosecondsSinceEpoch()
        while files.fileExists(atPath: "\(folder)/\(name).json") { name += 1 }
        try retrying {
            try files.createDirectory(atPath: staging, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: "\(staging)/\(name).json"))
        }
        try retrying { try files.moveItem(atPath: "\(staging)/\(name).json", toPath: "\(folder)/\(name).json") }
        return "\(folder)/\(name).json"
    }

    /// Runs `step` up to `attempts` times, `pauseBetweenAttempts` apart; the last failure is thrown.
    private func retrying(_ step: () throws -> Void) throws {
        for attempt in 1...Self.attempts {
            do {
                try step()
                return
            } catch  where attempt < Self.attempts {
                pauseBetweenAttempts()
            }
        }
    }

    /// The event objects: consecutive lines of one level share an event while its message stays within 3000
    /// characters.
    func events(from logLines: [String], closedAt: Date) -> [[String: String]] {
        var events: [[String: String]] = []
        var current: (level: Level, message: String)?
        func close() {
            guard let (level, message) = current else { return }
            events.append([
                "Version": version, "Timestamp": Self.isoformat(closedAt), "TaskName": "Enable",
                "EventLevel": level.name, "Message": message, "EventPid": String(getpid()),
                "EventTid": String(format: "%08lu", UInt(pthread_self())), "OperationId": operationID,
            ])
            current = nil
        }
        for raw in logLines {
            guard let line = Self.parse(raw), line.level >= minimumLevel else { continue }
            for text in Self.pieces(line.text, stamp: line.stamp) {
                let entry = "\(line.stamp)\t[\(line.level.name)]:\t\(text) \n"
                if let open = current, open.level == line.level, open.message.count + entry.count <= Self.messageLimit {
                    current?.message += entry
                } else {
                    close()
                    current = (line.level, entry)
                }
            }
        }
        close()
        return events
    }

    /// A line longer than 2900 characters as pieces `<UTC time>Z [k/n] <2900 characters>`, as the peer cuts it.
    static func pieces(_ text: String, stamp: String) -> [String] {
        guard text.count > pieceLength else { return [text] }
        var chunks: [Substring] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            chunks.append(rest.prefix(pieceLength))
            rest = rest.dropFirst(pieceLength)
        }
        return chunks.enumerated().map { "\(stamp)Z [\($0 + 1)/\(chunks.count)] \($1)" }
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff [source]LEVEL: text` (extension.log) as its ISO time, level and text: lines the
    /// job's logger wrote at warning or above carry `WARNING:`, `ERROR:` or `CRITICAL:`; the others are info.
    static func parse(_ line: String) -> (stamp: String, level: Level, text: String)? {
        guard line.count > 27, let close = line.firstIndex(of: "]") else { return nil }
        let stamp = String(line.prefix(26)).replacingOccurrences(of: " ", with: "T")
        var text = line[line.index(after: close)...]
        var level = Level.info
        for (prefix, named) in [("WARNING: ", Level.warning), ("ERROR: ", .error), ("CRITICAL: ", .error)]
        where text.hasPrefix(prefix) {
            level = named
            text = text.dropFirst(prefix.count)
        }
        return (stamp, level, String(text))
    }

    /// Python's `datetime.isoformat()` of a UTC time without zone (microseconds dropped when 0).
    static func isoformat(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var fields = tm()
        gmtime_r(&seconds, &fields)
        let micros = Int((date.timeIntervalSince1970 - Double(seconds)) * 1_000_000)
        let base = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", fields.tm_year + 1900, fields.tm_mon + 1, fields.tm_mday,
            fields.tm_hour, fields.tm_min, fields.tm_sec)
        return micros == 0 ? base : base + String(format: ".%06d", micros)
    }

    private static func nanosecondsSinceEpoch() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
