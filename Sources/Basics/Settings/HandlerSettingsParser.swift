import Foundation

/// The three parts every settings form carries: public settings, protected settings and the thumbprint.
package struct HandlerSettingsSection {
    var publicSettings: JSONNode?
    var protectedSettings: JSONNode?
    var thumbprint: JSONNode?
    /// Where the public settings were expected, for "missing" messages.
    var publicPath: String
    var file: String

    static let formsExpected =
        "job settings: {\"runtimeSettings\":[{\"handlerSettings\":...}]}, an ARM resource {\"properties\":"
        + "{\"settings\":...,\"protectedSettings\":...}}, {\"settings\":...,\"protectedSettings\":...}, "
        + "{\"publicSettings\":...} or HandlerEnvironment.json"

    /// Top-level keys that mark a document as job settings.
    static let markerKeys = [
        "runtimeSettings", "properties", "handlerSettings", "publicSettings", "settings", "protectedSettings",
    ]

    /// Whether a parsed document is job settings (any form) or HandlerEnvironment.json.
    package static func isSettingsDocument(_ root: JSONNode) -> Bool {
        if HandlerEnvironment.looksLike(root) { return true }
        guard case .object(let members) = root.value else { return false }
        return markerKeys.contains { members[$0] != nil }
    }

    /// Recognises the form of a settings document and returns its section.
    static func locate(in root: JSONNode) throws(SettingsError) -> (SettingsForm, HandlerSettingsSection) {
        guard case .object(let members) = root.value else {
            throw root.error(expected: formsExpected, found: root.value.kindDescription)
        }
        if let runtime = root["runtimeSettings"] {
            guard let first = try runtime.array().first else {
                throw runtime.error(
                    expected: "an array with one {\"handlerSettings\":...} object", found: "an empty array")
            }
            return (.runtimeSettings, try handlerSettings(first.required("handlerSettings")))
        }
        if let properties = root["properties"] {
            _ = try properties.object()
            return (
                .armResource,
                HandlerSettingsSection(
                    publicSettings: properties["settings"], protectedSettings: properties["protectedSettings"],
                    thumbprint: properties["protectedSettingsCertThumbprint"],
                    publicPath: JSONNode.append("settings", to: properties.path), file: root.file)
            )
        }
        if let handler = root["handlerSettings"] { return (.handlerSettings, try handlerSettings(handler)) }
        if root["publicSettings"] != nil { return (.handlerSettings, try handlerSettings(root)) }
        if root["settings"] != nil || root["protectedSettings"] != nil {
            return (
                .bare,
                HandlerSettingsSection(
                    publicSettings: root["settings"], protectedSettings: root["protectedSettings"],
                    thumbprint: root["protectedSettingsCertThumbprint"], publicPath: "$.settings", file: root.file)
            )
        }
        let keys = members.keys.sorted().prefix(8).joined(separator: ", ")
        throw root.error(expected: formsExpected, found: members.isEmpty ? "an empty object" : "keys \(keys)")
    }

    private static func handlerSettings(_ node: JSONNode) throws(SettingsError) -> HandlerSettingsSection {
        _ = try node.object()
        return HandlerSettingsSection(
            publicSettings: node["publicSettings"], protectedSettings: node["protectedSettings"],
            thumbprint: node["protectedSettingsCertThumbprint"],
            publicPath: JSONNode.append("publicSettings", to: node.path), file: node.file)
    }
}

/// Parses one settings section into `JobSettings`, collecting every problem rather than stopping at the first.
struct HandlerSettingsParser {
    let section: HandlerSettingsSection
    let certificateDirectory: String
    private(set) var problems: [InputProblem] = []
    private(set) var targets: [SASTarget] = []
    private(set) var decrypted = false
    private(set) var commandPath = "commandToExecute"
    private(set) var diskListPath = "objectStr.blobSASUri"

    init(section: HandlerSettingsSection, certificateDirectory: String) {
        self.section = section
        self.certificateDirectory = certificateDirectory
    }

    static let ticksExpectation =
        ".NET ticks as an integer or in scientific notation (636458000000000000 or 6.36458E+17)"
    static let uriExpectation = "a SAS blob URI https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB?<SAS query>"

    package mutating func parse(sequenceNumber: Int?) throws(SettingsError) -> JobSettings {
        guard let publicSettings = section.publicSettings else {
            throw SettingsError(file: section.file, path: section.publicPath, expected: "an object", found: "nothing")
        }
        _ = try publicSettings.object()
        let (section, directory) = (self.section, certificateDirectory)
        let protectedResult = attempt { () throws(SettingsError) in
            try Self.decodeProtectedSettings(section, certificateDirectory: directory)
        }
        let protectedSettings = protectedResult?.node
        decrypted = protectedResult?.decrypted ?? false

        let taskID = attempt { () throws(SettingsError) in try publicSettings.required("taskId").nonEmptyString() }
        let commandNode = attempt { () throws(SettingsError) in try publicSettings.required("commandToExecute") }
        if let commandNode { commandPath = commandNode.path }
        let command = commandNode.flatMap { node in attempt { () throws(SettingsError) in try node.nonEmptyString() } }
        let ticks = publicSettings["commandStartTimeUTCTicks"].flatMap { node in
            attempt { () throws(SettingsError) in try Self.ticks(node) }
        }
        let locale = optionalString(publicSettings["locale"])
        let vmType = optionalString(publicSettings["vmType"])

        let publicObject = publicSettings.member("objectStr").flatMap { node in
            attempt { () throws(SettingsError) in try ObjectString.decode(node) }
        }
        let protectedObject = protectedSettings?.member("objectStr").flatMap { node in
            attempt { () throws(SettingsError) in try ObjectString.decode(node) }
        }
        func objectMember(_ key: String) -> JSONNode? { protectedObject?.member(key) ?? publicObject?.member(key) }

        var disks: [SASBlobURI] = []
        if let list = objectMember("blobSASUri") {
            diskListPath = list.path
            var items = attempt { () throws(SettingsError) in try list.array() } ?? []
            if items.count > JobSettings.maximumDisks {
                problems.append(
                    list.problem(
                        expected: "at most \(JobSettings.maximumDisks) disk SAS URIs (a VM has far fewer disks)",
                        found: "\(items.count)"))
                items = []
            }
            for (index, item) in items.enumerated() {
                if let uri = sasURI(item) {
                    disks.append(uri)
                    targets.append(SASTarget(role: .disk(index), path: item.path, uri: uri))
                }
            }
        }
        let statusBlob = blobURI("statusBlobUri", protected: protectedSettings, public: publicSettings, role: .status)
        let logsBlob = blobURI("logsBlobUri", protected: protectedSettings, public: publicSettings, role: .logs)
        let metadata = objectMember("backupMetadata").flatMap { node in
            attempt { () throws(SettingsError) in try Self.metadata(node) }
        }
        let token = optionalString(objectMember("snapshotTaskToken"))
        // A real token is long (a GUID or more); a short one that a mangled document holds would mask ordinary text.
        if let token, token.utf8.count >= KnownSecrets.minimumTokenLength { KnownSecrets.remember(token) }
        let included = objectMember("includedDisks").flatMap { node in
            attempt { () throws(SettingsError) in try Self.includedDisks(node) }
        }
        var host = HostSnapshotSettings()
        if let node = publicObject?.member("includedDisks") ?? objectMember("includedDisks") {
            attempt { () throws(SettingsError) in try Self.hostFlags(node, into: &host) }
        }
        if let node = objectMember("dynamicConfigsFromCRP") {
            host.dynamicConfigs = attempt { () throws(SettingsError) in try Self.settingsList(node) } ?? []
        }
        let customNode = publicSettings.member("customSettings") ?? protectedSettings?.member("customSettings")
        if let customNode {
            let text = attempt { () throws(SettingsError) in try customNode.string() } ?? ""
            if !text.trimming().isEmpty {
                host.custom = CustomSettings(text: text)
            }
        }

        guard problems.isEmpty, let taskID, let command else {
            throw SettingsError(problems, uploadTargets: UploadTargets(targets))
        }
        return JobSettings(
            taskID: taskID, command: command, commandStartTime: ticks?.date, commandStartTicks: ticks?.text,
            locale: locale, vmType: vmType, sequenceNumber: sequenceNumber, disks: disks, statusBlob: statusBlob,
            logsBlob: logsBlob, backupMetadata: metadata ?? [], snapshotTaskToken: token,
            dataDiskLUNs: included?.luns, osDiskIncluded: included?.osDisk, source: section.file, host: host)
    }

    /// Runs a step, recording its problems instead of stopping.
    private mutating func attempt<T>(_ body: () throws(SettingsError) -> T) -> T? {
        do {
            return try body()
        } catch {
            problems.append(contentsOf: error.problems)
            return nil
        }
    }

    private mutating func optionalString(_ node: JSONNode?) -> String? {
        node.flatMap { node in attempt { () throws(SettingsError) in try node.string() } }
    }

    /// protectedSettings: an object, CMS-encrypted base64 (with a thumbprint), or JSON object text.
    private static func decodeProtectedSettings(
        _ section: HandlerSettingsSection, certificateDirectory: String
    ) throws(SettingsError) -> (node: JSONNode?, decrypted: Bool) {
        guard let node = section.protectedSettings else { return (nil, false) }
        switch node.value {
        case .object:
            return (node, false)
        case .string(let text) where text.trimming().isEmpty:
            return (nil, false)
        case .string(let text):
            if let thumbprintNode = section.thumbprint {
                let thumbprint = try thumbprintNode.nonEmptyString()
                let plaintext = try decrypt(
                    text, thumbprint: thumbprint, node: node, thumbprintNode: thumbprintNode,
                    certificateDirectory: certificateDirectory)
                let object = try JSONNode.parse(plaintext, file: node.file, path: node.path + "<decrypted>")
                _ = try object.object()
                return (object, true)
            }
            if text.trimming(.whitespaces).hasPrefix("{") {
                let object = try JSONNode.parse(Data(text.utf8), file: node.file, path: node.path + "<json>")
                _ = try object.object()
                return (object, false)
            }
            throw node.error(
                expected: "an object, or CMS-encrypted base64 with protectedSettingsCertThumbprint beside it",
                found: "a string and no protectedSettingsCertThumbprint")
        default:
            throw node.error(
                expected: "an object, or CMS-encrypted base64 with protectedSettingsCertThumbprint beside it",
                found: node.value.kindDescription)
        }
    }

    private static func decrypt(
        _ text: String, thumbprint: String, node: JSONNode, thumbprintNode: JSONNode, certificateDirectory: String
    ) throws(SettingsError) -> Data {
        do {
            return try ProtectedSettingsDecryptor.decrypt(
                base64: text, thumbprint: thumbprint, directory: certificateDirectory)
        } catch {
            let paths = ProtectedSettingsDecryptor.paths(thumbprint: thumbprint, directory: certificateDirectory)
            let certificate = "the certificate \(paths.certificate) and key \(paths.key)"
            switch error {
            case .certificateNotFound(let path):
                throw thumbprintNode.error(expected: certificate, found: "\(path) missing", code: 16)
            case .unreadableCertificate(let path, let reason):
                throw thumbprintNode.error(expected: "\(certificate) in PEM", found: "\(path): \(reason)", code: 16)
            case .thumbprintMismatch(let expected, let actual):
                throw thumbprintNode.error(
                    expected: "a certificate whose SHA-1 fingerprint is \(expected)", found: actual, code: 16)
            case .notBase64:
                throw node.error(expected: "base64 of a DER CMS envelope", found: "text that is not base64")
            case .decryptionFailed(let reason):
                throw node.error(
                    expected: "a CMS envelope encrypted to \(paths.certificate)", found: "decryption failed: \(reason)",
                    code: 16)
            }
        }
    }

    private mutating func sasURI(_ node: JSONNode) -> SASBlobURI? {
        attempt { () throws(SettingsError) in try Self.parseURI(node) }
    }

    private static func parseURI(_ node: JSONNode) throws(SettingsError) -> SASBlobURI {
        let text = try node.nonEmptyString()
        do {
            return try SASBlobURI(text)
        } catch {
            throw node.error(expected: uriExpectation, found: error.description)
        }
    }

    /// A protected URI with the public settings as fallback; an empty string counts as absent.
    private mutating func blobURI(
        _ key: String, protected: JSONNode?, public: JSONNode, role: SASTarget.Role
    ) -> SASBlobURI? {
        guard let node = protected?.member(key) ?? `public`.member(key) else { return nil }
        if case .string(let text) = node.value, text.trimming(.whitespaces).isEmpty { return nil }
        guard let uri = sasURI(node) else { return nil }
        targets.append(SASTarget(role: role, path: node.path, uri: uri))
        return uri
    }

    private static func ticks(_ node: JSONNode) throws(SettingsError) -> (text: String, date: Date) {
        let text: String
        switch node.value {
        case .string(let value): text = value.trimming(.whitespaces)
        case .integer(let value): text = String(value)
        case .number(let value): text = String(value)
        default: throw node.error(expected: ticksExpectation, found: node.value.kindDescription)
        }
        guard let date = DotNetTicks.date(from: text) else {
            throw node.error(expected: ticksExpectation, found: "'\(text)'")
        }
        return (text, date)
    }

    private static func metadata(_ node: JSONNode) throws(SettingsError) -> [MetadataEntry] {
        var entries: [MetadataEntry] = []
        for item in try node.array() {
            let key = try item.required("Key").nonEmptyString()
            guard key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
                key.first.map({ !$0.isNumber }) ?? false
            else {
                throw SettingsError(
                    file: item.file, path: item.path + ".Key",
                    expected: "a metadata name (letters, digits, _; not starting with a digit)", found: "'\(key)'")
            }
            let valueNode = try item.required("Value")
            let value: String =
                switch valueNode.value {
                case .integer(let number): String(number)
                case .bool(let flag): String(flag)
                default: try valueNode.string()
                }
            entries.append(MetadataEntry(key: key, value: value))
        }
        return entries
    }

    /// The `includedDisks` flags of the host path; only `true` sets a flag (the peer tests `== True`).
    private static func hostFlags(_ node: JSONNode, into host: inout HostSnapshotSettings) throws(SettingsError) {
        _ = try node.object()
        func flag(_ key: String) -> Bool {
            if case .bool(true) = node[key]?.value { return true }
            return false
        }
        host.writeAcceleratedDisk = flag("isAnyWADiskIncluded")
        host.directDriveDisk = flag("isAnyDirectDriveDiskIncluded")
        host.vmgsBlob = flag("isVmgsBlobIncluded")
        host.anyDiskExcluded = flag("isAnyDiskExcluded")
        host.vmmdBlob = flag("isVmmdBlobIncluded")
        host.adeEnabled = flag("isVMADEEnabled")
        if let minutes = node["instantAccessDurationMinutes"] {
            host.instantAccessDurationMinutes = try minutes.integer()
        }
    }

    /// A `[{"Key": ..., "Value": ...}]` list whose values are any JSON.
    private static func settingsList(_ node: JSONNode) throws(SettingsError) -> [HostSetting] {
        var settings: [HostSetting] = []
        for item in try node.array() {
            let key = try item.required("Key").nonEmptyString()
            settings.append(HostSetting(key: key, value: item["Value"]?.value ?? .null))
        }
        return settings
    }

    private static func includedDisks(_ node: JSONNode) throws(SettingsError) -> (luns: [Int]?, osDisk: Bool?) {
        _ = try node.object()
        var luns: [Int]?
        if let list = node["dataDiskLunList"] {
            let items: [JSONNode]
            do {
                items = try list.array()
            } catch {
                throw list.error(
                    expected: "an array of LUNs (integers 0...63)", found: list.value.kindDescription, code: 17)
            }
            luns = []
            for item in items {
                guard case .integer(let lun) = item.value, (0...63).contains(lun) else {
                    throw item.error(expected: "a LUN (an integer 0...63)", found: item.value.kindDescription, code: 17)
                }
                luns?.append(Int(lun))
            }
        }
        return (luns, try node["isOSDiskIncluded"]?.bool())
    }
}
