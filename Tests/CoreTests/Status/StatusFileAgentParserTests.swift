import Core
import Foundation
import TestSupport
import Testing

/// Status files checked by the Linux guest agent's own parser (waagent 2.7.3's `parse_ext_status`), run with the
/// system python3 from the package unpacked by scripts/install-test-tools.
@Suite struct StatusFileAgentParserTests {
    static let agentPackages = BuiltBinary.packageRoot.appendingPathComponent(
        ".build/waagent/usr/lib/python3/dist-packages")

    static let checker = """
        import json, sys
        from azurelinuxagent.ga.exthandlers import parse_ext_status
        from azurelinuxagent.common.protocol.restapi import ExtensionStatus
        raw = open(sys.argv[1], 'rb').read()
        assert not raw.startswith(b'\\xef\\xbb\\xbf'), 'status file starts with a BOM'
        assert len(raw) < 128 * 1024, 'status file is %d bytes' % len(raw)
        data = json.loads(raw.decode('utf-8'))
        assert data[0]['status']['status'] in ('transitioning', 'warning', 'error', 'success')
        status = ExtensionStatus()
        parse_ext_status(status, data)
        print(json.dumps({'status': status.status, 'code': status.code, 'message': status.message,
                          'substatus': [{'name': s.name, 'status': s.status, 'code': s.code, 'message': s.message}
                                        for s in status.substatusList]}))
        """

    struct Parsed: Decodable {
        struct Substatus: Decodable {
            var name: String
            var status: String
            var code: Int
            var message: String?
        }
        var status: String
        var code: Int
        var message: String?
        var substatus: [Substatus]
    }

    func parse(_ report: JobReport) async throws -> (Parsed, Data) {
        #expect(
            FileManager.default.fileExists(atPath: Self.agentPackages.appendingPathComponent("azurelinuxagent").path),
            "waagent is not unpacked: run scripts/install-test-tools")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = StatusFileWriter(directory: directory.path, sequenceNumber: 7)
        try writer.write(report)
        #expect(writer.path.hasSuffix("/7.status"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(leftovers == ["7.status"])
        let output = try await ProcessOutput.run(
            URL(fileURLWithPath: "/usr/bin/python3"), ["-c", Self.checker, writer.path],
            environment: ["PYTHONPATH": Self.agentPackages.path])
        #expect(output.status == 0, "agent parser rejected the file: \(output.stderr)")
        let file = try Data(contentsOf: URL(fileURLWithPath: writer.path))
        return (try JSONDecoder().decode(Parsed.self, from: Data(output.stdout.utf8)), file)
    }

    func report(disks: Int, failedIndex: Int? = nil) -> JobReport {
        let progress = (0..<disks).map { index in
            var disk = DiskProgress(
                index: index, blobURI: "https://acct.blob.core.windows.net/vhds/disk\(index).vhd", account: "acct",
                container: "vhds", blob: "disk\(index).vhd", state: .succeeded, attempts: 1)
            disk.snapshotTime = "2026-11-25T03:07:04.5315790Z"
            if index == failedIndex {
                disk.state = .failed
                disk.snapshotTime = nil
                disk.httpStatus = 403
                disk.errorCode = "AuthenticationFailed"
            }
            return disk
        }
        return JobReport(taskID: "task-1", commandStartTicks: "639311728196948608", disks: progress)
    }

    @Test func runningJobIsTransitioning() async throws {
        let (parsed, _) = try await parse(report(disks: 3))
        #expect(parsed.status == "transitioning")
        #expect(parsed.code == 4)
        #expect(parsed.substatus.count == 1)
    }

    @Test func successCarriesTheBlobDocumentInSubstatus() async throws {
        var terminal = report(disks: 3)
        terminal.finished = true
        terminal.code = 1
        terminal.healthStatusCode = 1
        terminal.status = "success"
        terminal.message = "3 disk snapshot(s) taken"
        let (parsed, _) = try await parse(terminal)
        #expect(parsed.status == "success")
        #expect(parsed.code == 1)
        #expect(parsed.message == "3 disk snapshot(s) taken")
        let embedded = try #require(parsed.substatus.first?.name)
        let documents = try JSONDecoder().decode([StatusBlobDocument].self, from: Data(embedded.utf8))
        #expect(documents.first?.status.code == "1")
        #expect(documents.first?.status.snapshotInfo.count == 3)
        #expect(documents.first?.status.taskId == "task-1")
    }

    /// The message limit is in UTF-8 bytes: a long message of two-byte characters is cut to at most 900 bytes
    /// plus "...", on a character boundary.
    @Test func longMultibyteMessageIsCutByBytes() async throws {
        var terminal = report(disks: 1)
        terminal.finished = true
        terminal.status = "error"
        terminal.message = String(repeating: "é", count: 800)
        let (parsed, _) = try await parse(terminal)
        let message = parsed.message ?? ""
        #expect(message == String(repeating: "é", count: 450) + "...")
        #expect(message.utf8.count <= 1000)
    }

    @Test func partialFailureWithFailedUploadIsAnErrorThatSaysSo() async throws {
        var terminal = report(disks: 64, failedIndex: 5)
        terminal.finished = true
        terminal.code = 76
        terminal.healthStatusCode = 761
        terminal.status = "error"
        terminal.message = String(repeating: "long message ", count: 500)
        terminal.statusUploadFailure = "HTTP 403 AuthenticationFailed, 1 attempt(s)"
        let (parsed, file) = try await parse(terminal)
        #expect(parsed.status == "error")
        #expect(parsed.code == 76)
        #expect((parsed.message ?? "").utf8.count <= 1024)
        #expect(parsed.substatus.map(\.status) == ["error", "warning"])
        #expect(parsed.substatus.last?.message?.contains("upload failed") == true)
        #expect(file.count < 128 * 1024)
    }
}
