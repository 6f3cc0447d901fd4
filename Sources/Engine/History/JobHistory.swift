import Basics
import Foundation

/// The local job history: `history.jsonl` beside `mrseq` in the state folder, one JSON record a line, oldest first,
/// at most `limit` records. Every append rewrites the file through a temporary file and a rename, so a reader sees
/// the old or the new journal, never half of one; a line that does not decode (a torn last line left by a crash
/// of another writer, a hand edit) is skipped and counted, never fatal.
public struct JobHistory: Sendable {
    public let directory: String
    /// The most records kept; the oldest go first.
    public let limit: Int

    /// The journal's file name.
    public static let fileName = "history.jsonl"
    /// How many records are kept by default (a job every few hours: weeks of history in a few hundred KiB).
    public static let defaultLimit = 500

    public init(directory: String, limit: Int = JobHistory.defaultLimit) {
        self.directory = directory
        self.limit = max(1, limit)
    }

    public var path: String { (directory as NSString).appendingPathComponent(Self.fileName) }

    /// What the journal holds: the records that decode, oldest first, and how many lines did not.
    public struct Contents: Sendable, Equatable {
        public var records: [JobHistoryRecord]
        public var unreadableLines: Int

        public init(records: [JobHistoryRecord], unreadableLines: Int) {
            self.records = records
            self.unreadableLines = unreadableLines
        }
    }

    /// Reads the journal; a missing file is an empty history.
    public func read() throws -> Contents {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
            return Contents(records: [], unreadableLines: 0)
        }
        let decoder = JSONDecoder()
        var records: [JobHistoryRecord] = []
        var unreadable = 0
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.allSatisfy({ $0 == UInt8(ascii: " ") }) {
            if let record = try? decoder.decode(JobHistoryRecord.self, from: Data(line)) {
                records.append(record)
            } else {
                unreadable += 1
            }
        }
        return Contents(records: records, unreadableLines: unreadable)
    }

    /// Appends one record, dropping the oldest beyond `limit` and any unreadable line, atomically.
    public func append(_ record: JobHistoryRecord) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let kept = ((try? read().records) ?? []) + [record]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for entry in kept.suffix(limit) {
            data.append(try encoder.encode(entry))
            data.append(UInt8(ascii: "\n"))
        }
        try AtomicFile.write(data, to: path)
    }

    /// When the newest good snapshot (see `JobHistoryRecord.isGoodSnapshot`) ended; nil when none is recorded.
    public func lastSuccess() -> Date? {
        (try? read().records)?.last(where: \.isGoodSnapshot)?.endedAt
    }
}
