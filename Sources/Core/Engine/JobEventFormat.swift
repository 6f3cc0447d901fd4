import Foundation

/// Renders job events for people (one line per notable event) and for machines (one JSON object per event).
public enum JobEventFormat {
    /// A compact JSON object on one line, e.g. `{"event":"disk","disk":{...}}`. Already redacted.
    public static func jsonLine(_ event: JobEvent) -> String {
        let object: [String: Any]
        switch event {
        case .stageStarted(let stage, let at):
            object = ["event": "stageStarted", "stage": stage.rawValue, "at": iso(at)]
        case .stageFinished(let stage, let at, let succeeded, let detail):
            object = [
                "event": "stageFinished", "stage": stage.rawValue, "at": iso(at), "succeeded": succeeded,
                "detail": detail,
            ]
        case .disk(let progress):
            object = ["event": "disk", "disk": encodable(progress)]
        case .log(let line, let at):
            object = ["event": "log", "line": line, "at": iso(at)]
        case .finished(let result):
            object = ["event": "finished", "result": encodable(result)]
        }
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        return Redactor.redact(String(decoding: data ?? Data(), as: UTF8.self))
    }

    /// A line for a terminal, or nil for events not worth a line (log lines, intermediate disk states).
    public static func humanLine(_ event: JobEvent) -> String? {
        switch event {
        case .stageStarted, .log:
            return nil
        case .stageFinished(let stage, _, let succeeded, let detail):
            return "\(succeeded ? "ok  " : "FAIL") \(stage.rawValue): \(detail)"
        case .disk(let disk):
            switch disk.state {
            case .succeeded:
                let latency = disk.latencyMilliseconds.map { String(format: "%.1f ms", $0) } ?? "?"
                return
                    "ok   disk \(disk.index) \(disk.blob): snapshot \(disk.snapshotTime ?? "?") (\(disk.attempts) attempt(s), \(latency))"
            case .failed:
                return "FAIL disk \(disk.index) \(SnapshotOutcome.describe(disk)) (\(disk.attempts) attempt(s))"
            case .retrying:
                return
                    "...  disk \(disk.index) \(disk.blob): retrying after HTTP \(disk.httpStatus.map(String.init) ?? "no answer")"
            case .pending, .inFlight:
                return nil
            }
        case .finished(let result):
            var line = "\(result.status): code \(result.code)"
            if result.healthStatusCode != result.code { line += " (health \(result.healthStatusCode))" }
            line += ": \(result.message)"
            if !result.statusUploaded { line += " [status blob not uploaded]" }
            return Redactor.redact(line)
        }
    }

    private static func iso(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    private static func encodable(_ value: some Encodable) -> Any {
        guard let data = try? JSONEncoder().encode(value) else { return [:] as [String: Any] }
        return (try? JSONSerialization.jsonObject(with: data)) ?? [:] as [String: Any]
    }
}
