import Foundation

/// A JSON value together with the file it came from and its JSON path, so every accessor can fail with an
/// `InputProblem` that says exactly where and what was expected.
package struct JSONNode: Sendable {
    let value: JSONValue
    let file: String
    let path: String

    init(_ value: JSONValue, file: String, path: String = "$") {
        self.value = value
        self.file = file
        self.path = path
    }

    /// The largest settings or configuration file read (4,096 disks of encrypted settings take under 4 MiB).
    static let maximumFileBytes = 16 << 20

    /// Reads and parses a JSON file; a file over `maximumFileBytes` is refused before it is read.
    package static func read(file: String) throws(SettingsError) -> JSONNode {
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
        if let size, size > maximumFileBytes {
            throw SettingsError(
                file: file, path: "$", expected: "a file of at most \(maximumFileBytes >> 20) MiB",
                found: "\(size) bytes")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw SettingsError(file: file, path: "$", expected: "a readable file", found: Self.reason(error))
        }
        return try parse(data, file: file)
    }

    /// Parses JSON text (a BOM is tolerated).
    package static func parse(_ data: Data, file: String, path: String = "$") throws(SettingsError) -> JSONNode {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        // Signatures anywhere in the document (decrypted protected settings included) are secrets by value.
        KnownSecrets.rememberSignatures(in: String(decoding: bytes, as: UTF8.self))
        do {
            return JSONNode(try JSONValue.parse(bytes), file: file, path: path)
        } catch {
            throw SettingsError(file: file, path: path, expected: "JSON", found: error.detail)
        }
    }

    func problem(expected: String, found: String? = nil, code: Int = 11) -> InputProblem {
        InputProblem(file: file, path: path, expected: expected, found: found, code: code)
    }

    func error(expected: String, found: String? = nil, code: Int = 11) -> SettingsError {
        SettingsError([problem(expected: expected, found: found, code: code)])
    }

    /// The member `key` of an object, nil when absent or null.
    subscript(key: String) -> JSONNode? {
        guard case .object(let members) = value, let member = members[key] else { return nil }
        if case .null = member { return nil }
        return JSONNode(member, file: file, path: Self.append(key, to: path))
    }

    /// Looks a key up case-insensitively (the service is not consistent about `objectStr` vs `objectstr`).
    func member(_ key: String) -> JSONNode? {
        if let exact = self[key] { return exact }
        guard case .object(let members) = value,
            let match = members.keys.first(where: { $0.caseInsensitiveCompare(key) == .orderedSame })
        else { return nil }
        return self[match]
    }

    func object() throws(SettingsError) -> [String: JSONValue] {
        guard case .object(let members) = value else {
            throw error(expected: "an object", found: value.kindDescription)
        }
        return members
    }

    func array() throws(SettingsError) -> [JSONNode] {
        guard case .array(let items) = value else { throw error(expected: "an array", found: value.kindDescription) }
        return items.enumerated().map { JSONNode($1, file: file, path: "\(path)[\($0)]") }
    }

    func string() throws(SettingsError) -> String {
        guard case .string(let text) = value else { throw error(expected: "a string", found: value.kindDescription) }
        return text
    }

    func nonEmptyString() throws(SettingsError) -> String {
        let text = try string()
        guard !text.trimming().isEmpty else {
            throw error(expected: "a non-empty string", found: "an empty string")
        }
        return text
    }

    func bool() throws(SettingsError) -> Bool {
        switch value {
        case .bool(let flag): return flag
        case .string(let text) where ["true", "false"].contains(text.lowercased()): return text.lowercased() == "true"
        default: throw error(expected: "true or false", found: value.kindDescription)
        }
    }

    func integer() throws(SettingsError) -> Int {
        switch value {
        case .integer(let number) where Int(exactly: number) != nil: return Int(number)
        case .string(let text) where Int(text) != nil: return Int(text)!
        default: throw error(expected: "an integer", found: value.kindDescription)
        }
    }

    /// A required member.
    func required(_ key: String) throws(SettingsError) -> JSONNode {
        _ = try object()
        guard let member = self[key] else {
            throw SettingsError(file: file, path: Self.append(key, to: path), expected: "a value", found: "nothing")
        }
        return member
    }

    static func append(_ key: String, to path: String) -> String {
        let plain = key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        return plain ? "\(path).\(key)" : "\(path)[\"\(key)\"]"
    }

    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError {
            return "no such file"
        }
        return nsError.localizedDescription
    }
}
