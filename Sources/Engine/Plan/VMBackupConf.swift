import Basics
import Foundation

/// /etc/azure/vmbackup.conf, the INI file Microsoft's troubleshooting pages tell operators to edit, read the way
/// Microsoft's Linux extension reads it where that is sane and kinder where the peer's reading breaks a file.
///
/// Kinder than the peer (each difference is a warning naming the line, so the operator learns what the peer would
/// have done): section and key names in any case; a line that does not parse, a key before any section, a duplicate
/// key or section costs that line only, not the whole file; a UTF-8 BOM is ignored; inline ` #` comments are
/// removed; surrounding quotes are removed; `%%` is `%` and a lone `%` is kept; list items are trimmed; booleans
/// take true/false/yes/no/on/off/1/0. A value that does not read keeps the key's default, with a warning.
public struct VMBackupConf: Sendable, Equatable {
    /// Where the peer reads the file.
    public static let defaultPath = "/etc/azure/vmbackup.conf"
    /// The section of almost every key.
    static let snapshotSection = "SnapshotThread"
    /// configparser's fallback section: its keys apply to every section.
    static let defaultSection = "DEFAULT"
    private static let knownSections = [snapshotSection, "Monitor", "lsblkUser", defaultSection]

    /// A value read with its key's `VMBackupConfKey.Kind`.
    public enum Value: Sendable, Equatable {
        case integer(Int)
        case boolean(Bool)
        case text(String)
        case paths([String])
    }

    /// One key that was read: its value, the line it is on and the text as written.
    public struct Entry: Sendable, Equatable {
        public var key: VMBackupConfKey
        public var value: Value
        public var line: Int
        public var text: String
    }

    /// Something in the file that vmsnap read differently from the peer, or could not read.
    public struct Warning: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        /// 1-based; nil for the file as a whole.
        public var line: Int?
        public var message: String

        public var description: String { "\(path)\(line.map { " line \($0)" } ?? ""): \(message)" }
    }

    public let path: String
    /// The keys that were read, by key.
    public private(set) var entries: [VMBackupConfKey: Entry] = [:]
    public private(set) var warnings: [Warning] = []

    /// The entry of `key`, when the file sets it to a readable, non-empty value.
    public subscript(key: VMBackupConfKey) -> Entry? { entries[key] }

    /// Reads the file at `path`; nil when there is none (every key at its default). An unreadable file is a
    /// configuration with one warning and no keys.
    public static func load(path: String = defaultPath) -> VMBackupConf? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            var conf = VMBackupConf(path: path)
            conf.warn(nil, "cannot be read: every key keeps its default")
            return conf
        }
        return parse(String(decoding: data, as: UTF8.self), path: path)
    }

    private init(path: String) { self.path = path }

    /// A raw `key = value` line before interpretation.
    private struct RawValue {
        var name: String
        var text: String
        var line: Int
    }

    /// Parses the text of a vmbackup.conf.
    public static func parse(_ text: String, path: String) -> VMBackupConf {
        var conf = VMBackupConf(path: path)
        var sections: [String: [String: RawValue]] = [:]
        var sectionLines: [String: Int] = [:]
        var section: String?
        var continuing: (section: String, key: String)?
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }
        for (index, rawLine) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                continuing = nil
                continue
            }
            if trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if let first = line.first, first == " " || first == "\t", let (owner, key) = continuing {
                sections[owner]?[key]?.text += "\n" + trimmed
                continue
            }
            continuing = nil
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
                let written = String(trimmed.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                let canonical = knownSections.first { $0.lowercased() == written.lowercased() } ?? written
                if canonical != written {
                    conf.warn(
                        number,
                        "section [\(written)] read as [\(canonical)] (the peer matches section names exactly and ignores [\(written)])"
                    )
                }
                if !knownSections.contains(canonical) {
                    conf.warn(number, "unknown section [\(written)]: its keys are ignored")
                }
                if let first = sectionLines[canonical] {
                    conf.warn(
                        number,
                        "section [\(canonical)] again (first on line \(first)): merged (the peer ignores the whole file)"
                    )
                } else {
                    sectionLines[canonical] = number
                }
                section = canonical
                sections[canonical, default: [:]] = sections[canonical] ?? [:]
                continue
            }
            guard let delimiter = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                conf.warn(
                    number,
                    "'\(trimmed)' is neither [section], key = value nor a comment: ignored (the peer ignores the whole file)"
                )
                continue
            }
            let name = line[..<delimiter].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else {
                conf.warn(number, "a value without a key name: ignored")
                continue
            }
            guard let section else {
                conf.warn(
                    number, "'\(name)' comes before any [section]: ignored (the peer ignores the whole file)")
                continue
            }
            let key = name.lowercased()
            if let earlier = sections[section]?[key] {
                conf.warn(
                    number,
                    "'\(name)' again in [\(section)] (first on line \(earlier.line)): this line wins (the peer ignores the whole file)"
                )
            }
            let value = conf.cleaned(String(line[line.index(after: delimiter)...]), line: number)
            sections[section]?[key] = RawValue(name: name, text: value, line: number)
            continuing = (section, key)
        }
        conf.interpret(sections)
        return conf
    }

    /// Strips the value and undoes the peer's quirks that vmsnap reads kindly, warning about each.
    private mutating func cleaned(_ raw: String, line: Int) -> String {
        var value = raw.trimmingCharacters(in: .whitespaces)
        if let comment = value.range(of: #"\s#"#, options: .regularExpression) {
            value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            warn(line, "inline comment removed (the peer keeps it as part of the value)")
        }
        if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
            value = String(value.dropFirst().dropLast())
            warn(line, "quotes removed (the peer keeps them as part of the value)")
        }
        if value.contains("%") {
            let unescaped = value.replacingOccurrences(of: "%%", with: "\u{0}")
            if unescaped.contains("%") {
                warn(line, "a lone % is read literally (the peer cannot read this key and uses its default; write %%)")
            }
            value = unescaped.replacingOccurrences(of: "\u{0}", with: "%")
        }
        return value
    }

    private mutating func interpret(_ sections: [String: [String: RawValue]]) {
        let defaults = sections[Self.defaultSection] ?? [:]
        for (section, keys) in sections where section != Self.defaultSection {
            for (_, raw) in keys where VMBackupConfKey.find(section: section, name: raw.name) == nil {
                if Self.knownSections.contains(section) {
                    warn(raw.line, "unknown key '\(raw.name)' in [\(section)]: ignored")
                }
            }
        }
        for key in VMBackupConfKey.allCases {
            // [DEFAULT] keys apply inside an existing section, as configparser does.
            guard let keys = sections[key.section],
                let raw = keys[key.rawValue.lowercased()] ?? defaults[key.rawValue.lowercased()]
            else { continue }
            if raw.name != key.rawValue {
                warn(raw.line, "'\(raw.name)' read as \(key.rawValue)")
            }
            guard !raw.text.isEmpty else { continue }  // an empty value is the default, as for the peer
            guard let value = read(raw, as: key) else { continue }
            entries[key] = Entry(key: key, value: value, line: raw.line, text: raw.text)
        }
    }

    private mutating func read(_ raw: RawValue, as key: VMBackupConfKey) -> Value? {
        let text = raw.text
        switch key.kind {
        case .integer:
            guard let number = Self.pythonInteger(text) else {
                warn(raw.line, "\(key.rawValue) = \(text): expected a whole number; the default is used")
                return nil
            }
            return .integer(number)
        case .boolean:
            guard let flag = Self.boolean(text) else {
                warn(
                    raw.line,
                    "\(key.rawValue) = \(text): expected true or false (also yes/no, on/off, 1/0); the default is used")
                return nil
            }
            if [.writeLog, .uploadStatusAndLog].contains(key) && flag && text != "True" {
                warn(raw.line, "\(key.rawValue) = \(text) read as true (the peer takes only the exact word True)")
            }
            return .boolean(flag)
        case .string:
            return .text(text)
        case .choice(let words):
            guard let word = words.first(where: { $0.lowercased() == text.lowercased() }) else {
                warn(
                    raw.line,
                    "\(key.rawValue) = \(text): expected one of \(words.joined(separator: ", ")) (the job runs firstHostThenGuest, as the peer)"
                )
                return .text(text)
            }
            if word != text {
                warn(
                    raw.line,
                    "\(key.rawValue) = \(text) is not exactly \(word): the job runs firstHostThenGuest (the peer needs the exact case)"
                )
            }
            return .text(text)
        case .pathList:
            var paths: [String] = []
            for item in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
                let path = item.trimmingCharacters(in: .whitespaces)
                if path.isEmpty { continue }
                if path != String(item) {
                    warn(raw.line, "'\(path)' trimmed (the peer compares '\(item)' with the spaces)")
                }
                guard path.hasPrefix("/") else {
                    warn(raw.line, "\(key.rawValue): '\(path)' is not an absolute mount point: ignored")
                    continue
                }
                let normalized = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
                if normalized == "/" {
                    warn(raw.line, "\(key.rawValue): / is always frozen and cannot be skipped (as for the peer)")
                    continue
                }
                paths.append(normalized)
            }
            return .paths(paths)
        }
    }

    /// Python `int()` of a string: surrounding whitespace, an optional sign, digits with single `_` between them.
    static func pythonInteger(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.range(of: #"^[+-]?[0-9]+(_[0-9]+)*$"#, options: .regularExpression) != nil else { return nil }
        return Int(trimmed.replacingOccurrences(of: "_", with: "").replacingOccurrences(of: "+", with: ""))
    }

    /// configparser's booleans (1/yes/true/on, 0/no/false/off), any case.
    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "yes", "true", "on": true
        case "0", "no", "false", "off": false
        default: nil
        }
    }

    private mutating func warn(_ line: Int?, _ message: String) {
        warnings.append(Warning(path: path, line: line, message: message))
    }
}
