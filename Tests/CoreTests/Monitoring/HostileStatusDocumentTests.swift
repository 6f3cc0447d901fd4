import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// Status documents carrying values no job writes: read, reported as text and JSON, never a trap, never an empty
/// document, and refused up front when far too large.
@Suite struct HostileStatusDocumentTests {
    private let root = TemporaryRoot()

    /// A plugin directory whose newest status file holds `data`.
    private func report(statusFile data: Data) async throws -> StatusReport {
        let plugin = root.url.appendingPathComponent("hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: plugin.appendingPathComponent("status"), withIntermediateDirectories: true)
        try data.write(to: plugin.appendingPathComponent("status/3.status"))
        let locations = MonitorSourceLocations(
            statusBlobURI: nil, pluginDirectory: plugin.path, logFile: nil, interval: 1)
        return await StatusReport.collect(locations: locations, fetcher: nil)
    }

    /// `/Date(1e30)/` and the like trapped converting the Double to Int (status --once died with SIGILL).
    @Test(arguments: HostileInputs.timestamps) func implausibleTimestampsAreNoDate(_ timestamp: String) async throws {
        let report = try await report(statusFile: try HostileInputs.peerStatusBlob(timestamp: timestamp))
        let job = try #require(report.job)
        #expect(job.timestamp == nil)
        #expect(job.status == "success")
        let text = report.text(zone: .local)
        #expect(
            text.contains("SUCCEEDED") && text.contains("job       code 1 success (status word success)"), "\(text)")
        let json = try #require(try JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
        #expect((json["job"] as? [String: Any])?["timestamp"] is NSNull)
    }

    @Test func timestampsOutsideTheYears1To9999AreNoDate() {
        #expect(StatusTimestamp.parse("/Date(1795576026799)/") == Date(timeIntervalSince1970: 1_795_576_026.799))
        #expect(StatusTimestamp.parse("/Date(253402300799999)/") != nil)
        #expect(StatusTimestamp.parse("/Date(253402300800000)/") == nil)
        #expect(StatusTimestamp.parse("/Date(-62135596800001)/") == nil)
        #expect(StatusTimestamp.parse("/Date(inf)/") == nil)
    }

    /// `FreezeTime` "1e400:0:0" became an infinite freeze window, which JSONSerialization refused: `status --once
    /// --json` printed only a newline and exited 0.
    @Test(arguments: ["1e400:0:0", "1e300:0:0", "nan:0:0", "-inf:0:0", "0:0:1e308"])
    func unrepresentableDurationsStillGiveAJSONDocument(_ freezeTime: String) async throws {
        let report = try await report(
            statusFile: try HostileInputs.peerStatusBlob(telemetry: "FreezeTime", value: freezeTime))
        let data = report.json()
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["schema"] as? String == StatusReport.schema)
        let job = try #require(json["job"] as? [String: Any])
        #expect(job["freezeWindowSeconds"] is NSNull)
        #expect(job["status"] as? String == "success")
        #expect(!report.text().isEmpty)
    }

    @Test func pythonDurationsBeyondTimedeltaAreNoDuration() {
        #expect(PythonDuration.seconds("-1 day, 23:59:59.5") == -0.5)
        #expect(PythonDuration.seconds("999999999 days, 0:00:00") == 86_400.0 * 999_999_999)
        #expect(PythonDuration.seconds("1e400:0:0") == nil)
        #expect(PythonDuration.seconds("nan:0:0") == nil)
        #expect(PythonDuration.seconds("2000000000 days, 0:00:00") == nil)
    }

    /// Numbers a view would add to or convert: only Int32-sized whole numbers count as codes and counts.
    @Test func hugeAndNonFiniteNumbersAreNoNumbers() throws {
        #expect(StatusDocumentReader.integer(NSNumber(value: 1e30)) == nil)
        #expect(StatusDocumentReader.integer(NSNumber(value: Int.max)) == nil)
        #expect(StatusDocumentReader.integer("9223372036854775807") == nil)
        #expect(StatusDocumentReader.integer(NSNumber(value: 76)) == 76)
        #expect(StatusDocumentReader.integer(" -3 ") == -3)
        #expect(StatusDocumentReader.double("inf") == nil)
        #expect(StatusDocumentReader.double("NaN") == nil)
        #expect(StatusDocumentReader.double(NSNumber(value: 12.5)) == 12.5)
        var document =
            try JSONSerialization.jsonObject(
                with: StatusDocumentFixtures.data(StatusDocumentFixtures.success)) as! [[String: Any]]
        var status = document[0]["status"] as! [String: Any]
        var progress = status["progress"] as! [String: Any]
        var disks = progress["disks"] as! [[String: Any]]
        disks[0]["attempts"] = Int.max
        disks[0]["latencyMilliseconds"] = 1e300
        progress["disks"] = disks
        status["progress"] = progress
        document[0]["status"] = status
        let snapshot = try StatusDocumentReader.read(
            JSONSerialization.data(withJSONObject: document), origin: .statusBlob, source: "test")
        #expect(snapshot.disks[0].progress.attempts == 1, "Int.max attempts is no count: the default applies")
        #expect(snapshot.disks[0].progress.latencyMilliseconds == 1e300)
    }

    /// A 15 MB status file took over 10 s and 700 MiB; anything over 4 MiB is refused before it is read.
    @Test func documentsOverFourMiBAreRefusedWithAClearError() async throws {
        var big = try String(
            decoding: StatusDocumentFixtures.data(StatusDocumentFixtures.peerStatusBlob), as: UTF8.self)
        big = big.replacingOccurrences(
            of: #""uniqueMachineId": """#, with: #""uniqueMachineId": "\#(String(repeating: "x", count: 5 << 20))""#)
        let report = try await report(statusFile: Data(big.utf8))
        #expect(report.job == nil)
        let file = try #require(report.sources.first { $0.name == MonitorSourceLocations.statusFileName })
        #expect(file.lastError?.contains("a status document of at most 4 MiB, found 5") == true, "\(file)")
        #expect(throws: StatusDocumentError.self) {
            try StatusDocumentReader.read(Data(big.utf8), origin: .statusBlob, source: "status blob")
        }
    }
}
