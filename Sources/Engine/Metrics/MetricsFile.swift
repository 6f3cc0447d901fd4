import Basics
import Foundation

/// `vmsnap.prom`: the job history's newest record, the running job and the machine's identity in the Prometheus
/// text exposition format, for node_exporter's textfile collector. Written atomically (temporary file + rename in
/// the same folder), so the collector never reads half a file.
public struct MetricsFile: Sendable, Equatable {
    /// The file's name.
    public static let fileName = "vmsnap.prom"
    /// Where Debian's prometheus-node-exporter reads `*.prom` files (its textfile collector's default).
    public static let debianTextfileDirectory = "/var/lib/prometheus/node-exporter"

    /// The machine the metrics are about.
    public var machine: MachineIdentity
    /// The journal's records, oldest first.
    public var history: [JobHistoryRecord]
    /// Whether a job runs.
    public var running: Bool
    /// When the running job started, when known.
    public var runningSince: Date?
    /// The earliest `se` of the current settings' SAS URIs, when known.
    public var sasExpiry: Date?

    public init(
        machine: MachineIdentity, history: [JobHistoryRecord], running: Bool = false, runningSince: Date? = nil,
        sasExpiry: Date?
    ) {
        self.machine = machine
        self.history = history
        self.running = running || runningSince != nil
        self.runningSince = runningSince
        self.sasExpiry = sasExpiry
    }

    /// The environment variable naming the folder (or `off`) below the command line and above the configuration;
    /// the tests set `off`.
    public static let directoryVariable = "VMSNAP_METRICS_DIR"

    /// Where to write: the command line's folder, else `$VMSNAP_METRICS_DIR`, else the configuration's
    /// `metricsDirectory`, else (when `debianDefault`) Debian's textfile folder when it exists; nil: metrics are off.
    public static func directory(
        commandLine: String?, configuration: VMSnapConfiguration?, debianDefault: Bool,
        debianDirectory: String = MetricsFile.debianTextfileDirectory,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String? {
        if let given = commandLine ?? environment[directoryVariable] {
            return given == VMSnapConfiguration.offKeyword ? nil : given
        }
        switch configuration?.metricsDirectory {
        case .off: return nil
        case .directory(let path): return path
        case nil:
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: debianDirectory, isDirectory: &isDirectory)
            return debianDefault && exists && isDirectory.boolValue ? debianDirectory : nil
        }
    }

    /// The earliest expiry among the settings' SAS URIs (disks, status and log blobs).
    public static func sasExpiry(of settings: JobSettings) -> Date? {
        (settings.disks + [settings.statusBlob, settings.logsBlob].compactMap { $0 }).compactMap(\.expiry).min()
    }

    /// Writes `vmsnap.prom` into `directory` atomically.
    public func write(to directory: String) throws {
        try AtomicFile.write(Data(text().utf8), to: (directory as NSString).appendingPathComponent(Self.fileName))
    }

    /// The exposition text.
    public func text() -> String {
        var out = ExpositionText()
        out.gauge(
            "vmsnap_info", "The machine vmsnap runs on and its version (always 1).",
            [
                (
                    [
                        ("hostname", machine.hostname), ("vm_id", machine.vmID ?? ""),
                        ("resource_id", machine.resourceID ?? ""), ("version", ExtensionIdentity.version),
                    ], 1
                )
            ])
        out.gauge("vmsnap_job_running", "Whether a snapshot job is running (1) or not (0).", running ? 1 : 0)
        if let runningSince {
            out.gauge(
                "vmsnap_running_job_start_timestamp_seconds", "When the running snapshot job started.",
                runningSince.timeIntervalSince1970)
        }
        out.gauge("vmsnap_history_records", "Jobs in the local job history journal.", Double(history.count))
        if let success = history.last(where: \.isGoodSnapshot)?.endedAt {
            out.gauge(
                "vmsnap_last_success_timestamp_seconds",
                "When the newest job that snapshotted every disk ended (the recovery point's age is time() minus this).",
                success.timeIntervalSince1970)
        }
        if let sasExpiry {
            out.gauge(
                "vmsnap_settings_sas_expiry_timestamp_seconds",
                "The earliest SAS expiry (se) of the newest job settings' URIs.", sasExpiry.timeIntervalSince1970)
        }
        if let last = history.last { lastJob(last, into: &out) }
        return out.text
    }

    private func lastJob(_ job: JobHistoryRecord, into out: inout ExpositionText) {
        out.gauge(
            "vmsnap_last_job_verdict", "The last job's verdict: 1 for the verdict it had, 0 for the others.",
            [Verdict.succeeded, .warning, .failed].map { ([("verdict", $0.rawValue)], job.verdict == $0 ? 1 : 0) })
        out.gauge("vmsnap_last_job_result_code", "The last job's extension result code.", Double(job.code.rawValue))
        out.gauge(
            "vmsnap_last_job_health_status_code", "The last job's vmHealthStatusCode (761: some disks failed).",
            Double(job.healthStatusCode.rawValue))
        if let started = job.startedAt {
            out.gauge(
                "vmsnap_last_job_start_timestamp_seconds", "When the last job started.", started.timeIntervalSince1970)
        }
        if let ended = job.endedAt {
            out.gauge("vmsnap_last_job_end_timestamp_seconds", "When the last job ended.", ended.timeIntervalSince1970)
        }
        if let duration = job.durationSeconds {
            out.gauge("vmsnap_last_job_duration_seconds", "How long the last job took.", duration)
        }
        if let window = job.freezeWindowSeconds {
            out.gauge(
                "vmsnap_last_job_freeze_window_seconds", "How long the last job kept filesystems frozen.", window)
        }
        if let window = job.databaseWindowSeconds {
            out.gauge(
                "vmsnap_last_job_database_window_seconds",
                "How long the last job kept its workload.conf database quiesced (quiesce statement to confirmed release; for MySQL/MariaDB the writes blocked).",
                window)
        }
        out.gauge("vmsnap_last_job_disks", "Disks in the last job.", Double(job.disks.count))
        out.gauge(
            "vmsnap_last_job_failed_disks", "Disks of the last job without a snapshot.",
            Double(job.disks.filter { $0.state != .succeeded }.count))
        let labelled = job.disks.map { [("account", $0.account), ("blob", $0.blob)] }
        out.gauge(
            "vmsnap_last_job_disk_snapshot_latency_seconds",
            "The last snapshot request's time for each disk of the last job.",
            zip(labelled, job.disks).compactMap { labels, disk in
                disk.latencyMilliseconds.map { (labels, $0 / 1000) }
            })
        out.gauge(
            "vmsnap_last_job_disk_snapshot_attempts", "Snapshot requests made for each disk of the last job.",
            zip(labelled, job.disks).map { ($0, Double($1.attempts)) })
    }
}

/// The Prometheus text format: `# HELP`, `# TYPE`, one sample a line, label values escaped.
struct ExpositionText {
    private(set) var text = ""

    mutating func gauge(_ name: String, _ help: String, _ value: Double) {
        gauge(name, help, [([], value)])
    }

    /// A gauge family; nothing at all when it has no sample.
    mutating func gauge(_ name: String, _ help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
        guard !samples.isEmpty else { return }
        text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
        for sample in samples {
            let labels =
                sample.labels.isEmpty
                ? "" : "{" + sample.labels.map { "\($0)=\"\(Self.escape($1))\"" }.joined(separator: ",") + "}"
            text += "\(name)\(labels) \(Self.format(sample.value))\n"
        }
    }

    /// `\` `"` and line feeds escaped as the format wants; other control characters dropped.
    static func escape(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: if scalar.value >= 0x20 && scalar.value != 0x7f { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// Integers without a fraction, others with millisecond precision or better.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.6f", value)
    }
}
