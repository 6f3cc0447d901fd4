import Core
import Foundation
import Logging
import Testing

@Suite struct ExtensionLogTests {
    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)").path
    }

    @Test func linesUseThePeersFormatInUTC() {
        let line = ExtensionLog.format("hello", at: Date(timeIntervalSince1970: 1_795_576_020.032948))
        #expect(line == "2026-11-25 03:07:00.032948 [\(ExtensionIdentity.name)-\(ExtensionIdentity.version)]hello")
    }

    @Test func signaturesAreRedactedInFileAndJobLog() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = ExtensionLog(directory: directory)
        let logger = Logger(label: "t") { _ in ExtensionLogHandler(log: log) }
        logger.info("uri https://a.blob.core.windows.net/c/b?sv=2014-02-14&sig=SECRET%2Bxyz%3D")
        let file = try String(contentsOfFile: log.path!, encoding: .utf8)
        #expect(!file.contains("SECRET"))
        #expect(file.contains("sig=REDACTED"))
        #expect(!log.jobLog.contains("SECRET"))
    }

    @Test func linesWhileHeldReachTheFileOnlyAfterResume() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = ExtensionLog(directory: directory)
        log.write("before")
        log.hold()
        log.write("while frozen")
        #expect(try !String(contentsOfFile: log.path!, encoding: .utf8).contains("while frozen"))
        log.resume()
        let lines = try String(contentsOfFile: log.path!, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.last?.hasSuffix("]while frozen") == true)
    }

    @Test func fileIsRotatedBySize() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = ExtensionLog(directory: directory, rotateAtBytes: 1000, keptRotations: 2)
        for index in 0..<100 { log.write("line \(index) " + String(repeating: "x", count: 50)) }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files == ["extension.log", "extension.log.1", "extension.log.2"])
        let current = try FileManager.default.attributesOfItem(atPath: log.path!)[.size] as? Int ?? 0
        #expect(current < 1000)
    }
}
