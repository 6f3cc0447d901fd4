import Basics
import Foundation
import Logging

/// A swift-log `LogHandler` writing to an `ExtensionLog`, and handing each written line to `observer`
/// (the job turns them into `JobEvent.log`).
public struct ExtensionLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let log: ExtensionLog
    private let observer: @Sendable (String, Date) -> Void

    public init(log: ExtensionLog, observer: @escaping @Sendable (String, Date) -> Void = { _, _ in }) {
        self.log = log
        self.observer = observer
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        var text = event.message.description
        if event.level >= .warning { text = "\(event.level.rawValue.uppercased()): \(text)" }
        if !merged.isEmpty {
            text += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        let now = Date()
        let line = log.write(text, at: now)
        observer(line, now)
    }
}
