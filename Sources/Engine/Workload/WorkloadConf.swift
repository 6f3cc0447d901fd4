import Basics
import Foundation

/// A database engine `workload_name` can name.
public enum DatabaseEngine: String, Sendable, Codable, CaseIterable {
    case mysql, mariadb, postgres, oracle

    /// The client program run from `command_path` (the peer's names).
    public var clientName: String {
        switch self {
        case .mysql: "mysql"
        case .mariadb: "mariadb"
        case .postgres: "psql"
        case .oracle: "sqlplus"
        }
    }

    /// Whether the engine is MySQL or MariaDB (the same client options and session-scoped quiesce).
    var isMySQLFamily: Bool { self == .mysql || self == .mariadb }
}

/// /etc/azure/workload.conf: the INI file of Microsoft's "enhanced pre-post scripts" that names the database to
/// quiesce around the freeze (workloads.md 1.2), read as the spec says.
///
/// Every key lives in `[workload]`; names in any case. A key present with an empty value means the same as an absent
/// key (the shipped template has every key empty). Problems carry the key, the line and the result code a job ends
/// its database stage with (501-505); `credString` is split into argv with shell-word rules and its password is
/// taken out (it travels to the client in the environment, never on a command line or in any output).
public struct WorkloadConf: Sendable, Equatable {
    /// Where the peer reads the file.
    public static let defaultPath = "/etc/azure/workload.conf"
    /// The quiesce window's upper bound when `timeout` is not set (the peer's 90 s).
    public static let defaultTimeoutSeconds = 90
    /// The longest `timeout` accepted.
    public static let timeoutRange = 1...3600

    /// The replication role (`role`).
    public enum Role: String, Sendable, Equatable {
        case master, slave
    }

    /// One thing wrong in the file: the key, its line, what was expected, and the code a job reports for it.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var line: Int?
        public var expected: String
        /// What was found, when that is no secret.
        public var found: String?
        public var code: ResultCode

        public var description: String {
            "[workload] \(key)\(line.map { " (line \($0))" } ?? ""): expected \(expected)"
                + (found.map { ", found '\($0)'" } ?? "")
        }
    }

    public let path: String
    /// The engine to quiesce; nil when the file names none (the workload path is off).
    public private(set) var engine: DatabaseEngine?
    /// The client's folder (`command_path`); nil: found via PATH.
    public private(set) var commandPath: String?
    /// `credString` as argv, without its password.
    public private(set) var credentialArguments: [String] = []
    /// The password taken out of `credString` (given to the client as MYSQL_PWD or PGPASSWORD); never printed.
    public private(set) var password: String?
    /// Whether `credString` was set at all (it may hold only options such as a socket).
    public private(set) var hasCredString = false
    /// The OS account that runs the client (`linux_user`); nil: this process's account.
    public private(set) var linuxUser: String?
    /// `ipc_folder`: accepted and unused (the quiesce needs no file written by the server).
    public private(set) var ipcFolder: String?
    /// The quiesce deadline in seconds (`timeout`): the guard releases the database then at the latest.
    public private(set) var timeoutSeconds = defaultTimeoutSeconds
    public private(set) var role = Role.master
    /// Oracle's oratab-format file of instances (`configuration_path`).
    public private(set) var configurationPath: String?
    public private(set) var problems: [Problem] = []
    /// Things read differently from the peer or ignored, each naming its key.
    public private(set) var warnings: [String] = []

    /// The keys the peer knows, lowercased (configparser lowercases key names).
    private static let knownKeys = [
        "workload_name", "command_path", "credstring", "linux_user", "ipc_folder", "timeout", "role",
        "enforceslaveonly", "dbnames", "customscriptenabled", "configuration_path",
    ]

    /// The first problem as the database stage's failure; nil when the file is usable.
    public var failure: JobFailure? {
        problems.first.map { JobFailure(code: $0.code, message: "\(path): \($0)") }
    }

    /// Reads the file at `path`; nil when there is none (no workload). An unreadable file is one 501 problem.
    public static func load(path: String = defaultPath) -> WorkloadConf? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            var conf = WorkloadConf(path: path)
            conf.problem("workload_name", nil, "a readable file", code: 501)
            return conf
        }
        return parse(String(decoding: data, as: UTF8.self), path: path)
    }

    private init(path: String) { self.path = path }

    /// Parses the text of a workload.conf.
    public static func parse(_ text: String, path: String) -> WorkloadConf {
        var conf = WorkloadConf(path: path)
        var values: [String: (text: String, line: Int)] = [:]
        var section: String?
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }
        for (index, rawLine) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let trimmed = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
                section = trimmed.dropFirst().dropLast().trimmingCharacters(in: .whitespaces).lowercased()
                if section == "logbackup" {
                    conf.warnings.append(
                        "\(path) line \(number): [logbackup] (Oracle log backup through root's crontab) is not supported: ignored"
                    )
                } else if section != "workload" {
                    conf.warnings.append("\(path) line \(number): unknown section [\(section ?? "")]: ignored")
                }
                continue
            }
            guard let delimiter = trimmed.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                conf.warnings.append("\(path) line \(number): '\(trimmed)' is not key = value: ignored")
                continue
            }
            guard section == "workload" else { continue }
            let key = trimmed[..<delimiter].trimmingCharacters(in: .whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: delimiter)...].trimmingCharacters(in: .whitespaces)
            guard knownKeys.contains(key) else {
                conf.warnings.append("\(path) line \(number): unknown key '\(key)' in [workload]: ignored")
                continue
            }
            // A present empty value means the same as an absent key (workloads.md W8).
            if !value.isEmpty { values[key] = (value, number) }
        }
        conf.interpret(values)
        return conf
    }

    private mutating func interpret(_ values: [String: (text: String, line: Int)]) {
        guard let (name, nameLine) = values["workload_name"] else { return }
        guard let engine = DatabaseEngine(rawValue: name.lowercased()) else {
            problem(
                "workload_name", nameLine, "one of oracle, mysql, mariadb, postgres", found: name, code: 503)
            return
        }
        self.engine = engine
        commandPath = values["command_path"]?.text
        linuxUser = values["linux_user"]?.text
        ipcFolder = values["ipc_folder"]?.text
        configurationPath = values["configuration_path"]?.text
        if let (text, line) = values["timeout"] {
            if let seconds = Int(text), Self.timeoutRange.contains(seconds) {
                timeoutSeconds = seconds
            } else {
                problem(
                    "timeout", line,
                    "whole seconds from \(Self.timeoutRange.lowerBound) to \(Self.timeoutRange.upperBound)",
                    found: text, code: 501)
            }
        }
        if let (text, line) = values["role"] {
            switch Role(rawValue: text.lowercased()) {
            case .master: role = .master
            case .slave where engine.isMySQLFamily: role = .slave
            case .slave:
                problem("role", line, "master (role slave exists for mysql and mariadb only)", found: text, code: 503)
            case nil: problem("role", line, "master or slave", found: text, code: 502)
            }
        }
        if let (text, line) = values["enforceslaveonly"] {
            if text != "0" && text != "1" {
                problem("enforceSlaveOnly", line, "0 or 1", found: text, code: 502)
            } else if text == "1" && role == .master {
                problem(
                    "enforceSlaveOnly", line, "0 with role master (1 allows only role slave)", found: text, code: 502)
            }
        }
        if let (_, line) = values["dbnames"] {
            warnings.append(
                "\(path) line \(line): dbnames is not supported: the whole server is quiesced (the peer quiesces nothing and still reports application-consistent)"
            )
        }
        if let (text, line) = values["customscriptenabled"], text != "0" {
            warnings.append(
                "\(path) line \(line): customScriptEnabled = \(text) is ignored: vmsnap runs its own statements, no script files"
            )
        }
        if let folder = ipcFolder {
            let line = values["ipc_folder"]?.line ?? 0
            let state = FileManager.default.fileExists(atPath: folder) ? "" : " (and it does not exist)"
            warnings.append(
                "\(path) line \(line): ipc_folder \(folder) is accepted and unused: the quiesce needs no file written by the server\(state)"
            )
        }
        readCredentials(values["credstring"])
        if values["credstring"] == nil && linuxUser == nil {
            problem("credString", nil, "credString or linux_user (neither is set)", code: 505)
        }
    }

    /// Splits `credString` into argv and takes its password out; problems never quote the value.
    private mutating func readCredentials(_ entry: (text: String, line: Int)?) {
        guard let entry, let engine else { return }
        let (text, line) = entry
        hasCredString = true
        let words: [String]
        do {
            words = try ShellWords.split(text)
        } catch {
            problem("credString", line, "options split like a shell command line, without \(error)", code: 501)
            return
        }
        var arguments: [String] = []
        for word in words {
            if engine.isMySQLFamily {
                if word == "-p" || word == "--password" {
                    problem(
                        "credString", line,
                        "the password inside its option (-pSECRET or --password=SECRET): the client cannot prompt",
                        code: 505)
                } else if word.hasPrefix("--password=") {
                    password = String(word.dropFirst("--password=".count))
                } else if word.hasPrefix("-p") && !word.hasPrefix("--") {
                    password = String(word.dropFirst(2))
                } else {
                    arguments.append(word)
                }
            } else if engine == .postgres {
                if word.contains("://") && word.contains("@") {
                    problem(
                        "credString", line, "a conninfo of keyword=value pairs (a URI may carry a password)",
                        code: 501)
                } else if let (rest, secret) = Self.removingConninfoPassword(word) {
                    password = secret
                    if !rest.isEmpty { arguments.append(rest) }
                } else {
                    arguments.append(word)
                }
            } else {
                arguments.append(word)
            }
        }
        credentialArguments = arguments
    }

    /// `host=x password=y dbname=z` -> (`host=x dbname=z`, `y`); nil when the word holds no password keyword.
    static func removingConninfoPassword(_ word: String) -> (String, String)? {
        let prefix = word.hasPrefix("--dbname=") ? "--dbname=" : ""
        let conninfo = String(word.dropFirst(prefix.count))
        guard let pairs = try? ShellWords.split(conninfo.replacingOccurrences(of: " = ", with: "=")) else {
            return nil
        }
        guard let secret = pairs.first(where: { $0.hasPrefix("password=") }) else { return nil }
        let rest = pairs.filter { !$0.hasPrefix("password=") }.joined(separator: " ")
        return (rest.isEmpty ? "" : prefix + rest, String(secret.dropFirst("password=".count)))
    }

    private mutating func problem(
        _ key: String, _ line: Int?, _ expected: String, found: String? = nil, code: ResultCode
    ) {
        problems.append(Problem(key: key, line: line, expected: expected, found: found, code: code))
    }
}
