import Basics
import Foundation

/// Writes `status/<N>.status` in the guest agent's format, atomically (`AtomicFile`), small (under 128 KiB), integer codes, every field the agent's parser knows.
///
/// Like the peer, substatus[0].name carries the status blob document (without live progress) as a JSON string;
/// the top-level `status` tells the truth about the outcome.
public struct StatusFileWriter: Sendable {
    public let directory: String
    public let sequenceNumber: Int
    /// Above this the embedded document is replaced by a summary (the agent truncates files over 128 KiB).
    static let sizeLimit = 100 * 1024

    public init(directory: String, sequenceNumber: Int) {
        self.directory = directory
        self.sequenceNumber = sequenceNumber
    }

    public var path: String { (directory as NSString).appendingPathComponent("\(sequenceNumber).status") }

    /// Writes the report; throws when the folder cannot be written.
    public func write(_ report: JobReport, facts: SystemFacts = .current) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try AtomicFile.write(Self.render(report, facts: facts), to: path)
    }

    /// The `status` word (`transitioning`, `success`, ...) of the file as it is on disk; nil when there is none.
    public func writtenStatus() -> String? {
        guard let data = FileManager.default.contents(atPath: path),
            let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
            let body = list.first?["status"] as? [String: Any]
        else { return nil }
        return body["status"] as? String
    }

    /// The file's bytes.
    static func render(_ report: JobReport, facts: SystemFacts) -> Data {
        var blob = report.blobDocument(facts: facts)
        blob.status.progress = nil
        let embedded = String(decoding: (try? JSONEncoder().encode([blob])) ?? Data(), as: UTF8.self)
        let summary = Self.truncated(report.message)
        var substatus = [
            Substatus(
                name: embedded, status: report.status.description, code: report.code.rawValue,
                formattedMessage: .init(summary))
        ]
        if let failure = report.statusUploadFailure {
            substatus.append(
                Substatus(
                    name: "StatusBlobUpload", status: "warning", code: report.code.rawValue,
                    formattedMessage: .init(Self.truncated("terminal status upload failed: \(failure)"))))
        }
        var file = AgentStatus(
            version: "1.0", timestampUTC: report.updated.formatted(.iso8601),
            status: .init(
                name: ExtensionIdentity.name, operation: "Enable", status: report.status.description,
                code: report.code.rawValue,
                formattedMessage: .init(summary), substatus: substatus))
        var data = (try? JSONEncoder().encode([file])) ?? Data()
        if data.count > sizeLimit {
            file.status.substatus[0].name = "VMSnapshot"
            data = (try? JSONEncoder().encode([file])) ?? Data()
        }
        return data
    }

    /// The redacted message, cut to at most 900 UTF-8 bytes (on a character boundary) plus "..." when it is
    /// over 1000 bytes (the agent's limits are bytes).
    private static func truncated(_ message: String) -> String {
        let redacted = Redactor.redact(message)
        guard redacted.utf8.count > 1000 else { return redacted }
        var end = redacted.utf8.index(redacted.utf8.startIndex, offsetBy: 900)
        while end.samePosition(in: redacted) == nil { end = redacted.utf8.index(before: end) }
        return String(redacted[..<end]) + "..."
    }

    private struct AgentStatus: Encodable {
        var version: String
        var timestampUTC: String
        var status: Body

        struct Body: Encodable {
            var name: String
            var operation: String
            var status: String
            var code: Int
            var formattedMessage: Message
            var substatus: [Substatus]
        }
    }

    private struct Substatus: Encodable {
        var name: String
        var status: String
        var code: Int
        var formattedMessage: Message
    }

    private struct Message: Encodable {
        var lang = "en-US"
        var message: String

        init(_ message: String) { self.message = message }
    }
}
