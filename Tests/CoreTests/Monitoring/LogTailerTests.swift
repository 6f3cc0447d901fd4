import Core
import Foundation
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

@Suite struct LogTailerTests {
    private let root = TemporaryRoot()

    private func temporaryLog() -> String {
        let directory = root.url.appendingPathComponent("tailer-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("extension.log").path
    }

    private func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    @Test func readsOnlyTheEndOfABigFileAndDropsThePartialFirstLine() throws {
        let path = temporaryLog()
        let line = String(repeating: "x", count: 99) + "\n"
        try Data(String(repeating: line, count: 1000).utf8).write(to: URL(fileURLWithPath: path))
        try append("2026-11-25 03:07:00.032948 [Ext-1.0]last line\n", to: path)
        let tailer = LogTailer(path: path, initialBytes: 1050)
        let lines = try #require(tailer.poll())
        #expect(lines.count == 11, "1050 bytes: the last line (46) and 10 full lines after the cut one")
        #expect(lines.last?.message == "last line")
        #expect(lines.dropLast().allSatisfy { $0.message == String(repeating: "x", count: 99) })
    }

    @Test func followsAppendsTruncationAndRotation() throws {
        let path = temporaryLog()
        try Data("one\n".utf8).write(to: URL(fileURLWithPath: path))
        let tailer = LogTailer(path: path)
        #expect(tailer.poll()?.map(\.message) == ["one"])
        try append("tw", to: path)
        #expect(tailer.poll()?.isEmpty == true, "an unfinished line waits")
        try append("o\n", to: path)
        #expect(tailer.poll()?.map(\.message) == ["two"])

        try Data("new\n".utf8).write(to: URL(fileURLWithPath: path))  // truncated and rewritten shorter
        #expect(tailer.poll()?.map(\.message) == ["new"])
        #expect(tailer.lastEvent == "truncated")

        try append("tail of old\n", to: path)
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try Data("first of rotated\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(tailer.poll()?.map(\.message) == ["tail of old", "first of rotated"])
        #expect(tailer.lastEvent == "rotated")
    }

    @Test func toleratesInvalidUTF8AndCutsHugeLines() throws {
        let path = temporaryLog()
        var bytes = Data("bad \u{FF}".utf8)
        bytes.append(contentsOf: [0xC3, 0x28, 0x0A])
        bytes.append(Data(String(repeating: "y", count: 100_000).utf8))
        bytes.append(Data("\nafter\n".utf8))
        try bytes.write(to: URL(fileURLWithPath: path))
        let tailer = LogTailer(path: path, maxLineBytes: 1000)
        let lines = try #require(tailer.poll())
        #expect(lines.count == 3)
        #expect(lines[0].message.contains("\u{FFFD}"))
        #expect(lines[1].truncated && lines[1].message.utf8.count == 1000)
        #expect(lines[2].message == "after" && !lines[2].truncated)
    }

    @Test func missingFileIsNilUntilItAppears() throws {
        let path = temporaryLog()
        let tailer = LogTailer(path: path)
        #expect(tailer.poll() == nil)
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(tailer.poll()?.map(\.message) == ["hello"])
    }

    @Test func parsesBothPeerLineFormats() throws {
        let utc = LogLine.parse(
            "2026-11-25 03:07:00.032948 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9184.0]snapshot failed")
        #expect(utc.source == "Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9184.0")
        #expect(utc.message == "snapshot failed")
        #expect(utc.level == .error)
        let expected = try #require(StatusTimestamp.parse("2026-11-25T03:07:00Z"))
        #expect(abs(utc.timestamp!.timeIntervalSince(expected) - 0.032948) < 1e-4)

        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let local = LogLine.parse("2026/11/25 04:07:00 [Ext-1.0] doing a retry", localZone: .fixed(berlin))
        #expect(local.timestamp == expected, "local time converted with the given zone")
        #expect(local.message == "doing a retry")
        #expect(local.level == .warning)

        let ours = LogLine.parse("2026-11-25T03:07:00.000Z INFO job accepted sig=abc")
        #expect(ours.timestamp == expected && ours.level == .info)
        #expect(ours.message == "job accepted sig=REDACTED", "a bare sig= value is redacted too")
        #expect(LogLine.parse("https://x/y?sv=1&sig=abc").message == "https://x/y?sv=1&sig=REDACTED")

        let plain = LogLine.parse("  continuation")
        #expect(plain.timestamp == nil && plain.message == "  continuation")
    }
}
