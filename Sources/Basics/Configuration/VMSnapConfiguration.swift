import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// vmsnap's own configuration file (config.example.json and copies): where the plugin and its logs live, which
/// status blob the monitor polls, timings, mounts to skip and the dashboard theme.
///
/// Strict: unknown keys, wrong types and out-of-range values are errors naming the key.
public struct VMSnapConfiguration: Sendable, Equatable {
    /// Where the monitor reads the status blob from.
    public enum StatusBlobSource: Sendable, Equatable, CustomStringConvertible {
        /// Take `statusBlobUri` from the job's settings.
        case discover
        /// A fixed SAS URI.
        case uri(SASBlobURI)

        public var description: String {
            switch self {
            case .discover: VMSnapConfiguration.discoverKeyword
            case .uri(let uri): uri.redacted
            }
        }
    }

    /// Where metrics go: a folder, or nowhere.
    public enum MetricsDirectorySetting: Sendable, Equatable {
        case off
        case directory(String)
    }

    /// The dashboard's colour scheme.
    public enum Theme: String, Sendable, Equatable, CaseIterable {
        case dark, light, monochrome
    }

    /// The zone people-facing times are shown in (machine outputs are always ISO 8601 UTC).
    public enum Clock: String, Sendable, Equatable, CaseIterable {
        case local, utc

        /// The zone the views use.
        public var zone: ClockZone { self == .utc ? .utc : .local }
    }

    /// The extension's plugin directory (HandlerEnvironment.json, config/, status/); a glob picks the newest match.
    public var pluginDirectory: String
    /// The extension's log directory (extension.log).
    public var logDirectory: String
    public var statusBlob: StatusBlobSource
    /// How often the monitor polls files and the status blob (at least 1 s).
    public var pollIntervalSeconds: Double
    /// How long filesystems may stay frozen before the guard thaws them.
    public var freezeTimeoutSeconds: Double
    /// Mount points never frozen: exact paths or globs (`/mnt/*`).
    public var mountsToSkip: [String]
    public var theme: Theme
    /// `timeZone`: local time with its zone label (default), or UTC.
    public var clock: Clock = .local
    /// A PEM file of CA certificates that storage endpoints are verified against instead of the system's.
    public var caBundle: String?
    /// How long a job waits for the freeze lock another holder (Site Recovery, the peer) has, before code 121.
    public var freezeLockWaitSeconds: Double = 30
    /// Whether the freeze guard holds the kernel's `rcu_expedited` at 1 during FIFREEZE (faster freezes).
    public var expediteRcuDuringFreeze = true
    /// VMSnapshotScriptPluginConfig.json, when not at its default path.
    public var scriptConfig: String?
    /// vmbackup.conf, when not at its default path.
    public var vmbackupConf: String?
    /// Where `vmsnap.prom` goes (node_exporter's textfile folder); `.off` writes none; nil: Debian's default folder
    /// when it exists.
    public var metricsDirectory: MetricsDirectorySetting?
    /// `host[:port]` of the instance metadata service, or `off`; nil: Azure's address (asked only on Azure).
    public var imdsAddress: String?
    /// The WireServer the host snapshot path calls (`http://HOST[:PORT]`), instead of finding out whether this is an
    /// Azure VM and calling the fixed address.
    public var wireServer: String?
    /// The keys the file set (the others are defaults), for `config show` and precedence.
    public private(set) var keysSet: Set<String> = []

    /// Where vmsnap looks for its configuration when the command line names none.
    public static let defaultPath = "/etc/vmsnap/config.json"
    /// The value of `statusBlob` that means "take it from the job's settings".
    public static let discoverKeyword = "discover"
    /// The value of `metricsDirectory` and `imdsAddress` that turns the feature off.
    public static let offKeyword = "off"
    /// The accepted range of `pollIntervalSeconds`.
    public static let pollIntervalRange: ClosedRange<Double> = 1...3600
    /// The accepted range of `freezeTimeoutSeconds` (the agent kills enable after 300 s).
    public static let freezeTimeoutRange: ClosedRange<Double> = 1...300
    /// The accepted range of `freezeLockWaitSeconds`.
    public static let freezeLockWaitRange: ClosedRange<Double> = 0...120
    /// Every key the file may contain.
    public static let keys = [
        "pluginDirectory", "logDirectory", "statusBlob", "pollIntervalSeconds", "freezeTimeoutSeconds",
        "mountsToSkip", "theme", "timeZone", "caBundle", "freezeLockWaitSeconds", "expediteRcuDuringFreeze",
        "scriptConfig", "vmbackupConf", "metricsDirectory", "imdsAddress", "wireServer",
    ]

    /// The values used for keys the file leaves out.
    public static let defaults = VMSnapConfiguration(
        pluginDirectory: "/var/lib/waagent/Microsoft.Azure.RecoveryServices.VMSnapshotLinux-*",
        logDirectory: "/var/log/azure/Microsoft.Azure.RecoveryServices.VMSnapshotLinux", statusBlob: .discover,
        pollIntervalSeconds: 2, freezeTimeoutSeconds: 60, mountsToSkip: [], theme: .dark)

    public init(
        pluginDirectory: String, logDirectory: String, statusBlob: StatusBlobSource, pollIntervalSeconds: Double,
        freezeTimeoutSeconds: Double, mountsToSkip: [String], theme: Theme, caBundle: String? = nil
    ) {
        self.pluginDirectory = pluginDirectory
        self.logDirectory = logDirectory
        self.statusBlob = statusBlob
        self.pollIntervalSeconds = pollIntervalSeconds
        self.freezeTimeoutSeconds = freezeTimeoutSeconds
        self.mountsToSkip = mountsToSkip
        self.theme = theme
        self.caBundle = caBundle
    }

    /// Reads and validates a configuration file; every problem is reported, each naming its key.
    public static func load(path: String) throws(ConfigurationError) -> VMSnapConfiguration {
        let root: JSONNode
        do {
            root = try JSONNode.read(file: path)
        } catch {
            throw ConfigurationError(problems: error.problems)
        }
        return try parse(root)
    }

    /// Whether a parsed JSON document looks like this configuration (an object with at least one known key).
    package static func looksLike(_ root: JSONNode) -> Bool {
        guard case .object(let members) = root.value else { return false }
        return members.keys.contains { keys.contains($0) }
    }

    package static func parse(_ root: JSONNode) throws(ConfigurationError) -> VMSnapConfiguration {
        var problems: [InputProblem] = []
        guard case .object(let members) = root.value else {
            throw ConfigurationError(problems: [root.problem(expected: "an object", found: root.value.kindDescription)])
        }
        for key in members.keys.sorted() where !keys.contains(key) {
            problems.append(
                InputProblem(
                    file: root.file, path: JSONNode.append(key, to: root.path),
                    expected: "one of the keys \(keys.joined(separator: ", "))", found: "unknown key '\(key)'"))
        }
        var configuration = defaults
        func read<T>(_ key: String, _ body: (JSONNode) throws(SettingsError) -> T) -> T? {
            guard let node = root[key] else { return nil }
            do {
                return try body(node)
            } catch {
                problems.append(contentsOf: error.problems)
                return nil
            }
        }
        if let value = read("pluginDirectory", absolutePath) { configuration.pluginDirectory = value }
        if let value = read("logDirectory", absolutePath) { configuration.logDirectory = value }
        if let value = read("statusBlob", statusBlob) { configuration.statusBlob = value }
        if let value = read(
            "pollIntervalSeconds", { node throws(SettingsError) in try seconds(node, pollIntervalRange) })
        {
            configuration.pollIntervalSeconds = value
        }
        if let value = read(
            "freezeTimeoutSeconds", { node throws(SettingsError) in try seconds(node, freezeTimeoutRange) })
        {
            configuration.freezeTimeoutSeconds = value
        }
        if let value = read("mountsToSkip", mounts) { configuration.mountsToSkip = value }
        if let value = read("theme", theme) { configuration.theme = value }
        if let value = read("timeZone", { node throws(SettingsError) in try choice(node, Clock.self) }) {
            configuration.clock = value
        }
        if let value = read("caBundle", caBundle) { configuration.caBundle = value }
        if let value = read(
            "freezeLockWaitSeconds", { node throws(SettingsError) in try seconds(node, freezeLockWaitRange) })
        {
            configuration.freezeLockWaitSeconds = value
        }
        if let value = read("expediteRcuDuringFreeze", { node throws(SettingsError) in try node.bool() }) {
            configuration.expediteRcuDuringFreeze = value
        }
        if let value = read("scriptConfig", absolutePath) { configuration.scriptConfig = value }
        if let value = read("vmbackupConf", absolutePath) { configuration.vmbackupConf = value }
        if let value = read("metricsDirectory", metricsDirectory) { configuration.metricsDirectory = value }
        if let value = read("imdsAddress", imdsAddress) { configuration.imdsAddress = value }
        if let value = read("wireServer", wireServerAddress) { configuration.wireServer = value }
        configuration.keysSet = Set(members.keys).intersection(keys)
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        return configuration
    }

    /// The plugin directory to read: `pluginDirectory` itself, or the most recently modified match of its glob.
    public func resolvedPluginDirectory() -> String? {
        guard pluginDirectory.contains(where: { "*?[".contains($0) }) else {
            return FileManager.default.fileExists(atPath: pluginDirectory) ? pluginDirectory : nil
        }
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(pluginDirectory, 0, nil, &matches) == 0 else { return nil }
        let paths = (0..<Int(matches.gl_pathc)).compactMap {
            matches.gl_pathv[$0].flatMap { String(validatingCString: $0) }
        }
        return paths.max { modified($0) < modified($1) }
    }

    private func modified(_ path: String) -> Date {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date ?? .distantPast
    }

    private static func absolutePath(_ node: JSONNode) throws(SettingsError) -> String {
        let text = try node.nonEmptyString()
        guard text.hasPrefix("/") else { throw node.error(expected: "an absolute path", found: "'\(text)'") }
        return text
    }

    private static func metricsDirectory(_ node: JSONNode) throws(SettingsError) -> MetricsDirectorySetting {
        let text = try node.nonEmptyString()
        if text == offKeyword { return .off }
        guard text.hasPrefix("/") else {
            throw node.error(expected: "an absolute path or \"\(offKeyword)\"", found: "'\(text)'")
        }
        return .directory(text)
    }

    /// `off`, or `host[:port]` (letters, digits, dots, dashes, colons and brackets only).
    private static func imdsAddress(_ node: JSONNode) throws(SettingsError) -> String {
        let text = try node.nonEmptyString()
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-:[]"))
        guard text == offKeyword || text.unicodeScalars.allSatisfy(allowed.contains) else {
            throw node.error(expected: "\"\(offKeyword)\" or host[:port]", found: "'\(text)'")
        }
        return text
    }

    /// `http://HOST[:PORT]` or `https://...`, without path, query or credentials.
    private static func wireServerAddress(_ node: JSONNode) throws(SettingsError) -> String {
        let text = try node.nonEmptyString()
        guard let problem = wireServerProblem(text) else { return text }
        throw node.error(expected: "http://HOST[:PORT] (the WireServer's address, no path)", found: problem)
    }

    /// What is wrong with a WireServer address; nil when it is `http(s)://HOST[:PORT]`.
    public static func wireServerProblem(_ text: String) -> String? {
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else { return "'\(text)' is not an http:// URL with a host" }
        if url.user != nil || url.password != nil { return "credentials in the URL" }
        if !(url.path.isEmpty || url.path == "/") || url.query != nil || url.fragment != nil {
            return "'\(text)' has a path or query"
        }
        return nil
    }

    private static func statusBlob(_ node: JSONNode) throws(SettingsError) -> StatusBlobSource {
        let text = try node.nonEmptyString()
        if text == discoverKeyword { return .discover }
        let expectation = "\"\(discoverKeyword)\" or a SAS blob URI (https, or http on loopback)"
        let uri: SASBlobURI
        do {
            uri = try SASBlobURI(text)
        } catch {
            throw node.error(expected: expectation, found: error.description)
        }
        guard uri.scheme == "https" || uri.isLoopback else {
            throw node.error(expected: expectation, found: "plain http to \(uri.host)")
        }
        return .uri(uri)
    }

    private static func seconds(_ node: JSONNode, _ range: ClosedRange<Double>) throws(SettingsError) -> Double {
        let value: Double
        switch node.value {
        case .integer(let number): value = Double(number)
        case .number(let number): value = number
        default: throw node.error(expected: "a number of seconds", found: node.value.kindDescription)
        }
        guard range.contains(value) else {
            throw node.error(
                expected: "a number of seconds from \(format(range.lowerBound)) to \(format(range.upperBound))",
                found: format(value))
        }
        return value
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private static func mounts(_ node: JSONNode) throws(SettingsError) -> [String] {
        var result: [String] = []
        for item in try node.array() {
            let text = try item.nonEmptyString()
            guard text.hasPrefix("/") else {
                throw item.error(expected: "an absolute mount path or glob (starting with /)", found: "'\(text)'")
            }
            result.append(text)
        }
        return result
    }

    /// An absolute path to a readable file holding at least one PEM certificate.
    private static func caBundle(_ node: JSONNode) throws(SettingsError) -> String {
        let path = try absolutePath(node)
        do throws(TrustStoreError) {
            try CABundleFile.validate(path, origin: "caBundle")
        } catch {
            throw node.error(expected: "a readable PEM file of CA certificates", found: "'\(path)' \(error.reason)")
        }
        return path
    }

    private static func theme(_ node: JSONNode) throws(SettingsError) -> Theme { try choice(node, Theme.self) }

    /// One of an enumeration's raw values; the error lists them all.
    private static func choice<T: RawRepresentable & CaseIterable>(_ node: JSONNode, _ type: T.Type)
        throws(SettingsError) -> T where T.RawValue == String
    {
        let text = try node.string()
        guard let value = T(rawValue: text) else {
            let names = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw node.error(expected: "one of \(names)", found: "\"\(text)\"")
        }
        return value
    }
}

/// Why vmsnap's configuration file is not usable: every problem, each naming the file and key.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var problems: [InputProblem]

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
