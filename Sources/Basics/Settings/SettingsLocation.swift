import Foundation

/// Finds the settings file to read: config/N.settings with N given explicitly, by `ConfigSequenceNumber`, or
/// else the most recently modified `*.settings`.
package struct SettingsLocation {
    package let sequenceNumber: Int?
    let environment: [String: String]

    /// In a plugin directory: via HandlerEnvironment.json when present, else `config/`, else the directory
    /// itself when it holds `*.settings`.
    func settingsFile(inPluginDirectory directory: String) throws(SettingsError) -> (String, HandlerEnvironment?) {
        let manager = FileManager.default
        let environmentFile = (directory as NSString).appendingPathComponent(HandlerEnvironment.fileName)
        if manager.fileExists(atPath: environmentFile) {
            let handlerEnvironment = try HandlerEnvironment.load(path: environmentFile)
            return (try settingsFile(for: handlerEnvironment), handlerEnvironment)
        }
        let configFolder = (directory as NSString).appendingPathComponent("config")
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: configFolder, isDirectory: &isDirectory), isDirectory.boolValue {
            return (try settingsFile(inConfigFolder: configFolder), nil)
        }
        if !Self.settingsFiles(in: directory).isEmpty {
            return (try settingsFile(inConfigFolder: directory), nil)
        }
        throw SettingsError(
            file: directory, path: "$",
            expected: "a plugin directory with HandlerEnvironment.json or config/*.settings",
            found: "neither")
    }

    /// In the environment's `configFolder`; when that folder does not exist (a plugin directory copied off its
    /// VM keeps the agent's absolute paths), in `config/` beside HandlerEnvironment.json.
    func settingsFile(for handlerEnvironment: HandlerEnvironment) throws(SettingsError) -> String {
        let manager = FileManager.default
        let beside = ((handlerEnvironment.source as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("config")
        if !manager.fileExists(atPath: handlerEnvironment.configFolder), manager.fileExists(atPath: beside) {
            return try settingsFile(inConfigFolder: beside)
        }
        return try settingsFile(inConfigFolder: handlerEnvironment.configFolder)
    }

    /// In a config folder: N.settings for the chosen N.
    func settingsFile(inConfigFolder folder: String) throws(SettingsError) -> String {
        if let number = try chosenSequenceNumber() {
            let file = (folder as NSString).appendingPathComponent("\(number).settings")
            guard FileManager.default.fileExists(atPath: file) else {
                throw SettingsError(
                    file: folder, path: "$", expected: "\(number).settings for sequence number \(number)",
                    found: "no such file")
            }
            return file
        }
        let candidates = Self.settingsFiles(in: folder)
        guard
            let newest = candidates.max(by: { lhs, rhs in
                lhs.modified != rhs.modified
                    ? lhs.modified < rhs.modified
                    : (Self.sequenceNumber(ofFile: lhs.path) ?? -1) < (Self.sequenceNumber(ofFile: rhs.path) ?? -1)
            })
        else {
            throw SettingsError(file: folder, path: "$", expected: "at least one *.settings file", found: "none")
        }
        return newest.path
    }

    private func chosenSequenceNumber() throws(SettingsError) -> Int? {
        if let sequenceNumber { return sequenceNumber }
        guard let text = environment[SettingsLoader.sequenceNumberVariable] else { return nil }
        guard let number = Self.sequenceNumber(environmentValue: text) else {
            throw SettingsError(
                file: "environment variable \(SettingsLoader.sequenceNumberVariable)", path: "$",
                expected: "a non-negative integer", found: "'\(text)'")
        }
        return number
    }

    /// N as the agent passes it in `ConfigSequenceNumber`; nil unless a non-negative integer.
    package static func sequenceNumber(environmentValue text: String) -> Int? {
        Int(text.trimmingCharacters(in: .whitespaces)).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// N of a file named `N.settings`.
    package static func sequenceNumber(ofFile path: String) -> Int? {
        let name = (path as NSString).lastPathComponent
        guard name.hasSuffix(".settings") else { return nil }
        return Int(name.dropLast(".settings".count))
    }

    private static func settingsFiles(in folder: String) -> [(path: String, modified: Date)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".settings") }.map { name in
            let path = (folder as NSString).appendingPathComponent(name)
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            return (path, attributes?[.modificationDate] as? Date ?? .distantPast)
        }
    }
}
