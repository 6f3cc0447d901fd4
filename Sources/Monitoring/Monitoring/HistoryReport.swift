import Basics
import Engine
import Foundation

/// `vmsnap history`: the job history journal as a table for people or JSON for scripts.
public struct HistoryReport: Sendable {
    /// The JSON schema identifier; bump the number on incompatible changes.
    public static let schema = "vmsnap.history/1"

    public var path: String
    /// The records shown, oldest first.
    public var records: [JobHistoryRecord]
    /// How many records the journal holds in all.
    public var total: Int
    public var unreadableLines: Int
    public var machine: MachineIdentity?
    public var generatedAt: Date
    /// When the newest good snapshot in the whole journal ended.
    public var lastSuccess: Date?

    /// The journal's newest `newest` records (all when nil).
    public init(
        path: String, contents: JobHistory.Contents, newest: Int?, machine: MachineIdentity?, generatedAt: Date
    ) {
        self.path = path
        records = newest.map { Array(contents.records.suffix($0)) } ?? contents.records
        total = contents.records.count
        unreadableLines = contents.unreadableLines
        self.machine = machine
        self.generatedAt = generatedAt
        lastSuccess = contents.records.last(where: \.isGoodSnapshot)?.endedAt
    }

    /// Sorted keys, ISO 8601 UTC times, redacted.
    public func json() -> Data {
        struct Document: Encodable {
            var schema: String
            var generatedAt: String
            var journal: String
            var machine: MachineIdentity?
            var totalRecords: Int
            var unreadableLines: Int
            var lastSuccessUTC: String?
            var lastSuccessAgeSeconds: Int?
            var records: [JobHistoryRecord]

            // Optional fields as explicit nulls: a script sees every key.
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(schema, forKey: .schema)
                try container.encode(generatedAt, forKey: .generatedAt)
                try container.encode(journal, forKey: .journal)
                try container.encode(machine, forKey: .machine)
                try container.encode(totalRecords, forKey: .totalRecords)
                try container.encode(unreadableLines, forKey: .unreadableLines)
                try container.encode(lastSuccessUTC, forKey: .lastSuccessUTC)
                try container.encode(lastSuccessAgeSeconds, forKey: .lastSuccessAgeSeconds)
                try container.encode(records, forKey: .records)
            }

            enum CodingKeys: String, CodingKey {
                case schema, generatedAt, journal, machine, totalRecords, unreadableLines, lastSuccessUTC
                case lastSuccessAgeSeconds, records
            }
        }
        let document = Document(
            schema: Self.schema, generatedAt: ISO8601Timestamp.format(generatedAt), journal: path, machine: machine,
            totalRecords: total, unreadableLines: unreadableLines,
            lastSuccessUTC: lastSuccess.map(ISO8601Timestamp.format),
            lastSuccessAgeSeconds: lastSuccess.map { Int(max(0, generatedAt.timeIntervalSince($0)).rounded()) },
            records: records)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(document)) ?? Data("{}".utf8)
        return Data(Redactor.redact(String(decoding: data, as: UTF8.self)).utf8) + Data("\n".utf8)
    }

    /// One job's cells, in the header's order.
    private static func row(_ record: JobHistoryRecord, zone: ClockZone) -> [String] {
        var code = String(record.code.rawValue)
        if record.healthStatusCode != record.code { code += "/\(record.healthStatusCode.rawValue)" }
        let ended: String = record.endedAt.map { StatusReport.dateTime($0, zone: zone) } ?? record.endedUTC
        let freeze: String = record.freezeWindowSeconds.map { String(format: "%.2f s", $0) } ?? "-"
        let took: String = record.durationSeconds.map { String(format: "%.1f s", $0) } ?? "-"
        let sequence: String = record.sequenceNumber.map { String($0) } ?? "-"
        return [
            ended, record.verdict.label, code, record.diskSummary, freeze, took, record.consistency.rawValue, sequence,
            TerminalText.sanitize(record.taskID),
        ]
    }

    /// One line per job, newest last, then the last good snapshot's age.
    public func text(zone: ClockZone) -> String {
        var lines = ["job history \(path): \(total) job(s) recorded, newest last"]
        if let machine { lines.append("machine \(machine.summary)") }
        if unreadableLines > 0 {
            lines.append("\(unreadableLines) unreadable line(s) skipped (a torn write or a hand edit)")
        }
        guard !records.isEmpty else {
            lines.append("no job recorded yet")
            return Redactor.redact(lines.joined(separator: "\n") + "\n")
        }
        let header = ["ENDED", "VERDICT", "CODE", "DISKS", "FREEZE", "TOOK", "CONSISTENCY", "SEQ", "TASK"]
        let rows = [header] + records.map { Self.row($0, zone: zone) }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(
                zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces))
        }
        if let lastSuccess {
            let age = SourceFreshness.age(generatedAt.timeIntervalSince(lastSuccess))
            lines.append("last good snapshot \(StatusReport.dateTime(lastSuccess, zone: zone)), \(age) ago")
        } else {
            lines.append("no good snapshot recorded")
        }
        return Redactor.redact(lines.joined(separator: "\n") + "\n")
    }
}
