import Basics
import Engine
import Foundation

/// `vmsnap fleet --once`: every VM's row, worst first, as a table or JSON.
public struct FleetReport: Sendable {
    /// The JSON schema identifier; bump the number on incompatible changes.
    public static let schema = "vmsnap.fleet/1"

    public var rows: [FleetRow]
    public var generatedAt: Date

    public init(rows: [FleetRow], generatedAt: Date) {
        self.rows = FleetRow.worstFirst(rows)
        self.generatedAt = generatedAt
    }

    /// VMs per verdict (`no job` split into `no job` and `unreadable`).
    public var counts: [String: Int] {
        var counts: [String: Int] = [:]
        for row in rows { counts[row.error == nil ? row.verdict.rawValue : "unreadable", default: 0] += 1 }
        return counts
    }

    /// The worst row's exit status as `status --once` has it (0 when every VM succeeded; 5 for none at all).
    public var exitStatus: Int32 {
        guard let worst = rows.first else { return NoJobReason.noJobYet.exitStatus }
        if worst.verdict == .noJob {
            return worst.error == nil ? NoJobReason.noJobYet.exitStatus : NoJobReason.unreadable.exitStatus
        }
        return worst.verdict.exitStatus
    }

    /// Sorted keys, ISO 8601 UTC, no signatures.
    public func json() -> Data {
        func value<T>(_ v: T?) -> Any { v.map { $0 as Any } ?? NSNull() }
        let root: [String: Any] = [
            "schema": Self.schema, "generatedAt": ISO8601Timestamp.format(generatedAt), "counts": counts,
            "exitStatus": Int(exitStatus),
            "vms": rows.map { row -> [String: Any] in
                [
                    "name": row.name, "statusBlob": row.statusBlob, "verdict": row.verdict.rawValue,
                    "code": value(row.code?.rawValue), "codeName": value(row.code?.name),
                    "documentAgeSeconds": value(row.documentAge.map { Int($0.rounded()) }),
                    "failedDisks": row.failedDisks, "totalDisks": row.totalDisks, "cause": row.cause,
                    "lastSuccessUTC": value(row.lastSuccess.map(ISO8601Timestamp.format)), "error": value(row.error),
                ]
            },
        ]
        let options: JSONSerialization.WritingOptions = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? JSONSerialization.data(withJSONObject: root, options: options)) ?? Data("{}".utf8)
        return Data(Redactor.redact(String(decoding: data, as: UTF8.self)).utf8) + Data("\n".utf8)
    }

    /// A table, worst first, with a count per verdict.
    public func text() -> String {
        let summary = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        var lines = ["vmsnap fleet: \(rows.count) VM(s): \(summary)"]
        let header = ["VERDICT", "VM", "CODE", "AGE", "FAILED", "CAUSE"]
        let body = rows.map { row -> [String] in
            let age: String = row.documentAge.map { SourceFreshness.age($0) } ?? "-"
            let failed = row.totalDisks > 0 ? "\(row.failedDisks)/\(row.totalDisks)" : "-"
            let verdict = row.error == nil ? row.verdict.label : "UNREADABLE"
            let code: String = row.code.map { String($0.rawValue) } ?? "-"
            return [verdict, row.name, code, age, failed, row.cause]
        }
        let table = [header] + body
        let widths = (0..<header.count - 1).map { column in table.map { $0[column].count }.max() ?? 0 }
        for row in table {
            let padded = zip(row.dropLast(), widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
            lines.append((padded + [row.last ?? ""]).joined(separator: "  "))
        }
        return Redactor.redact(lines.joined(separator: "\n") + "\n")
    }
}
