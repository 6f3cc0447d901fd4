import Core
import Foundation
import TestSupport
import Testing

@testable import Engine

/// vmsnap.prom: the series, label escaping, the atomic write, and the real `promtool check metrics`.
@Suite struct MetricsFileTests {
    private let root = TemporaryRoot()

    private static func record(
        _ task: String, code: ResultCode, ended: Date, databaseWindowMilliseconds: Double? = nil
    ) -> JobHistoryRecord {
        let disks = ["disk0.vhd", "disk\"1\\.vhd"].enumerated().map { index, blob in
            var disk = DiskProgress(
                index: index, blobURI: "https://a.blob.core.windows.net/c/\(blob)", account: "acct", container: "c",
                blob: blob)
            disk.state = code.isSuccess || index == 0 ? .succeeded : .failed
            disk.attempts = index + 1
            disk.latencyMilliseconds = 40.5
            return disk
        }
        let result = JobResult(
            code: code, healthStatusCode: code.isSuccess ? code : .someSnapshotsFailed, status: code.statusWord,
            message: "m", disks: disks, freezeWindowMilliseconds: 125,
            databaseWindowMilliseconds: databaseWindowMilliseconds, statusDelivery: .uploaded)
        return JobHistoryRecord(
            taskID: task, sequenceNumber: 1, startedAt: ended.addingTimeInterval(-10), endedAt: ended, result: result,
            consistency: .fileSystem, machine: nil)
    }

    private var file: MetricsFile {
        let good = Date(timeIntervalSince1970: 1_800_000_000)
        return MetricsFile(
            machine: MachineIdentity(hostname: "vm-1", vmID: "0b1c", resourceID: "/subscriptions/s/vm \"x\"\n"),
            history: [
                Self.record("t1", code: .success, ended: good),
                Self.record(
                    "t2", code: .snapshotFailed, ended: good.addingTimeInterval(7200), databaseWindowMilliseconds: 162.5
                ),
            ], sasExpiry: Date(timeIntervalSince1970: 1_900_000_000))
    }

    @Test func theLastJobAndTheLastSuccessAreSeries() {
        let text = file.text()
        let lines = Set(text.split(separator: "\n").map(String.init))
        for expected in [
            #"vmsnap_info{hostname="vm-1",vm_id="0b1c",resource_id="/subscriptions/s/vm \"x\"\n",version="\#(ExtensionIdentity.version)"} 1"#,
            "vmsnap_job_running 0", "vmsnap_history_records 2",
            "vmsnap_last_success_timestamp_seconds 1800000000",
            "vmsnap_settings_sas_expiry_timestamp_seconds 1900000000",
            #"vmsnap_last_job_verdict{verdict="failed"} 1"#, #"vmsnap_last_job_verdict{verdict="succeeded"} 0"#,
            "vmsnap_last_job_result_code 76", "vmsnap_last_job_health_status_code 761",
            "vmsnap_last_job_start_timestamp_seconds 1800007190", "vmsnap_last_job_end_timestamp_seconds 1800007200",
            "vmsnap_last_job_duration_seconds 10", "vmsnap_last_job_freeze_window_seconds 0.125000",
            "vmsnap_last_job_database_window_seconds 0.162500",
            "vmsnap_last_job_failed_disks 1",
            #"vmsnap_last_job_disk_snapshot_attempts{account="acct",blob="disk\"1\\.vhd"} 2"#,
            #"vmsnap_last_job_disk_snapshot_latency_seconds{account="acct",blob="disk0.vhd"} 0.040500"#,
            "# TYPE vmsnap_last_success_timestamp_seconds gauge",
        ] {
            #expect(lines.contains(expected), "\(expected) in:\n\(text)")
        }
        #expect(!text.contains("vmsnap_running_job_start_timestamp_seconds"), "no job runs")
    }

    @Test func theDatabaseWindowIsASeriesOnlyWhenTheLastJobHadADatabaseStage() {
        let withoutDatabase = MetricsFile(
            machine: MachineIdentity(hostname: "h"),
            history: [Self.record("t1", code: .success, ended: Date(timeIntervalSince1970: 1_800_000_000))],
            sasExpiry: nil
        ).text()
        #expect(withoutDatabase.contains("\nvmsnap_last_job_freeze_window_seconds 0.125000\n"))
        #expect(!withoutDatabase.contains("vmsnap_last_job_database_window_seconds"), "\(withoutDatabase)")
        #expect(file.text().contains("\n# TYPE vmsnap_last_job_database_window_seconds gauge\n"))
    }

    @Test func aRunningJobAndAnEmptyHistory() {
        let text = MetricsFile(
            machine: MachineIdentity(hostname: "h"), history: [], runningSince: Date(timeIntervalSince1970: 1000),
            sasExpiry: nil
        ).text()
        #expect(text.contains("\nvmsnap_job_running 1\n"))
        #expect(text.contains("\nvmsnap_running_job_start_timestamp_seconds 1000\n"))
        #expect(!text.contains("vmsnap_last_"), "no last job, no last success: \(text)")
    }

    /// The file as written passes Prometheus's own linter (promtool from Debian's prometheus package).
    @Test func promtoolAcceptsTheFile() async throws {
        let directory = root.url.appendingPathComponent("metrics-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for sample in [file, MetricsFile(machine: MachineIdentity(hostname: "h"), history: [], sasExpiry: nil)] {
            try sample.write(to: directory)
            let path = (directory as NSString).appendingPathComponent(MetricsFile.fileName)
            let check = try await ProcessOutput.run(
                URL(fileURLWithPath: "/usr/bin/promtool"), ["check", "metrics"],
                stdin: try String(contentsOfFile: path, encoding: .utf8))
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
            #expect(check.stdout.isEmpty && check.stderr.isEmpty, "no lint problem: \(check.stdout)\(check.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [MetricsFile.fileName])
    }

    @Test func theFolderComesFromTheCommandLineThenTheConfigurationThenDebian() throws {
        let debian = root.url.appendingPathComponent("debian-\(UUID().uuidString)").path
        var configuration = VMSnapConfiguration.defaults
        #expect(
            MetricsFile.directory(commandLine: nil, configuration: nil, debianDefault: true, debianDirectory: debian)
                == nil)
        try FileManager.default.createDirectory(atPath: debian, withIntermediateDirectories: true)
        #expect(
            MetricsFile.directory(commandLine: nil, configuration: nil, debianDefault: true, debianDirectory: debian)
                == debian)
        #expect(
            MetricsFile.directory(commandLine: nil, configuration: nil, debianDefault: false, debianDirectory: debian)
                == nil)
        configuration.metricsDirectory = .off
        #expect(
            MetricsFile.directory(
                commandLine: nil, configuration: configuration, debianDefault: true, debianDirectory: debian) == nil)
        configuration.metricsDirectory = .directory("/srv/m")
        #expect(
            MetricsFile.directory(
                commandLine: nil, configuration: configuration, debianDefault: true, debianDirectory: debian)
                == "/srv/m")
        #expect(
            MetricsFile.directory(
                commandLine: "/x", configuration: configuration, debianDefault: true, debianDirectory: debian) == "/x")
        #expect(
            MetricsFile.directory(
                commandLine: "off", configuration: configuration, debianDefault: true, debianDirectory: debian) == nil)
        let environment = ["VMSNAP_METRICS_DIR": "off"]
        #expect(
            MetricsFile.directory(
                commandLine: nil, configuration: configuration, debianDefault: true, debianDirectory: debian,
                environment: environment) == nil)
        #expect(
            MetricsFile.directory(
                commandLine: "/x", configuration: nil, debianDefault: true, debianDirectory: debian,
                environment: environment) == "/x")
    }
}
