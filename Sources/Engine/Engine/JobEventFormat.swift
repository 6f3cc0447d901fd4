import Basics
import Foundation

/// Renders job events for people (one line per notable event) and for machines (one JSON object per event), both
/// from the same records the status blob carries.
public enum JobEventFormat {
    /// A compact JSON object on one line, e.g. `{"event":"stage","stage":"freeze","state":"skipped",...}`.
    /// Already redacted. Stage events carry exactly the status blob's `progress.stages` record.
    public static func jsonLine(_ event: JobEvent) -> String {
        var object: [String: Any]
        switch event {
        case .stage(let record):
            object = encodable(record)
            object["event"] = "stage"
        case .disk(let progress, let at):
            object = ["event": "disk", "at": StageRecord.timestamp(at), "disk": encodable(progress)]
        case .log(let line, let at):
            object = ["event": "log", "line": line, "at": StageRecord.timestamp(at)]
        case .finished(let result):
            object = ["event": "finished", "verdict": result.verdict.rawValue, "result": encodable(result)]
        }
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        return Redactor.redact(String(decoding: data ?? Data(), as: UTF8.self))
    }

    /// A line for a terminal, or nil for events not worth a line (log lines, started stages, intermediate disk
    /// states). The words are the status blob's: `ok` succeeded, `FAIL` failed, `skip` skipped.
    public static func humanLine(_ event: JobEvent) -> String? {
        switch event {
        case .log:
            return nil
        case .stage(let record):
            let word: String
            switch record.state {
            case .running: return nil
            case .succeeded: word = "ok  "
            case .failed: word = "FAIL"
            case .skipped: word = "skip"
            }
            return Redactor.redact("\(word) \(record.stage.rawValue): \(record.detail)")
        case .disk(let disk, _):
            switch disk.state {
            case .succeeded:
                let latency = disk.latencyMilliseconds.map { String(format: "%.1f ms", $0) } ?? "?"
                return Redactor.redact(
                    "ok   disk \(disk.index) \(disk.blob): snapshot \(disk.snapshotTime ?? "?") "
                        + "(\(disk.attempts) attempt(s), \(latency))")
            case .failed:
                return Redactor.redact(
                    "FAIL disk \(disk.index) \(SnapshotOutcome.describe(disk)) (\(disk.attempts) attempt(s))")
            case .retrying:
                return
                    "...  disk \(disk.index) \(disk.blob): retrying after HTTP \(disk.httpStatus.map(String.init) ?? "no answer")"
            case .pending, .inFlight:
                return nil
            }
        case .finished(let result):
            var line = "\(result.verdict.label) code \(result.code)"
            if let name = result.code.name { line += " \(name)" }
            if result.healthStatusCode != result.code { line += " (health \(result.healthStatusCode))" }
            line += ": \(result.message)"
            line += "\n" + statusLine(result)
            return Redactor.redact(line)
        }
    }

    /// Where the terminal status went: `status blob: uploaded`, `... NOT uploaded: <why>`, ...
    static func statusLine(_ result: JobResult) -> String {
        switch result.statusDelivery {
        case .uploaded: "status blob: terminal status uploaded"
        case .failed:
            "status blob: terminal status NOT uploaded: \(result.statusUploadFailure ?? "no answer")"
                + " (the status file has it)"
        case .noStatusBlob: "status blob: none in the settings; the terminal status is in the status file only"
        case .unchanged: "status blob: left as the first run of this task wrote it"
        }
    }

    private static func encodable(_ value: some Encodable) -> [String: Any] {
        guard let data = try? JSONEncoder().encode(value) else { return [:] }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }
}
