import Foundation

/// A handler directory's `status/<N>.status` as the guest agent reads it.
public enum HandlerStatus {
    /// The file's `status` word, nil when there is no readable file.
    public static func word(plugin: URL, sequenceNumber: Int) -> String? {
        let file = plugin.appendingPathComponent("status/\(sequenceNumber).status")
        guard let data = try? Data(contentsOf: file),
            let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
            let body = list.first?["status"] as? [String: Any]
        else { return nil }
        return body["status"] as? String
    }

    /// Waits (at most `timeout`) until the file is terminal (`success` or `error`, as the agent counts it) and
    /// returns its text; nil when it never became terminal.
    public static func terminal(plugin: URL, sequenceNumber: Int, timeout: Duration = .seconds(60)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let word = word(plugin: plugin, sequenceNumber: sequenceNumber), ["success", "error"].contains(word) {
                return try? String(
                    contentsOf: plugin.appendingPathComponent("status/\(sequenceNumber).status"), encoding: .utf8)
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }
}
