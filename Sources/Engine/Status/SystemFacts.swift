import Basics
import Foundation

/// Facts about the machine reported in the status blob's telemetry and storage details.
public struct SystemFacts: Sendable, Equatable {
    /// `Debian GNU/Linux-12 (bookworm)`, from /etc/os-release.
    public var osVersion: String
    /// `uname -r`.
    public var kernelVersion: String
    /// SMBIOS product UUID (root-readable), empty when unavailable.
    public var uniqueMachineID: String
    /// The storageDetails figures over every local filesystem.
    public var storage: StorageSurvey
    /// Whether a fuse, nfs or cifs filesystem is mounted (`networkFSTypePresentInMount`).
    public var networkFilesystemMounted = false
    /// Database engines running, by the peer's names (`workloads`): mysqld, postgresql, oracle, cassandra, mongo.
    public var workloads: [String] = []
    /// The guest agent's version (`guestAgentVersion`), `Unknown` when it cannot be told.
    public var guestAgentVersion = "Unknown"

    /// The running machine's facts, read once.
    public static let current = SystemFacts.read()

    static func read(
        osRelease: String = "/etc/os-release", productUUID: String = "/sys/class/dmi/id/product_uuid",
        mountInfo: String = "/proc/self/mountinfo", processes: String = "/proc",
        agentLibrary: String = "/var/lib/waagent"
    ) -> SystemFacts {
        var fields: [String: String] = [:]
        if let text = try? String(contentsOfFile: osRelease, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                guard let eq = line.firstIndex(of: "=") else { continue }
                fields[String(line[..<eq])] = line[line.index(after: eq)...].trimmingCharacters(
                    in: CharacterSet(charactersIn: "\"'"))
            }
        }
        var os = [fields["NAME"], fields["VERSION_ID"]].compactMap { $0 }.joined(separator: "-")
        if let codename = fields["VERSION_CODENAME"], !codename.isEmpty { os += " (\(codename))" }
        var names = utsname()
        uname(&names)
        let kernel = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let uuid =
            (try? String(contentsOfFile: productUUID, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines).lowercased() ?? ""
        var facts = SystemFacts(
            osVersion: os.isEmpty ? "Linux" : os, kernelVersion: kernel, uniqueMachineID: uuid,
            storage: StorageSurvey.current(mountInfoPath: mountInfo))
        facts.networkFilesystemMounted = networkFilesystemMounted(
            mountInfo: (try? String(contentsOfFile: mountInfo, encoding: .utf8)) ?? "")
        facts.workloads = workloads(commandLines: commandLines(under: processes))
        facts.guestAgentVersion = guestAgentVersion(
            installed: (try? FileManager.default.contentsOfDirectory(atPath: agentLibrary)) ?? [])
        return facts
    }

    /// Whether mountinfo lists a filesystem whose type names fuse, nfs or cifs (as the peer's `mount` check).
    static func networkFilesystemMounted(mountInfo: String) -> Bool {
        mountInfo.split(separator: "\n").compactMap(MountInfoEntry.init(line:)).contains { entry in
            ["fuse", "nfs", "cifs"].contains { entry.filesystemType.contains($0) }
        }
    }

    /// The engines whose processes run, in the peer's order and names; each command line is argv joined by NUL.
    static func workloads(commandLines: [String]) -> [String] {
        let engines = [
            ("mysqld", ["mysqld", "mariadbd"]), ("postgresql", ["postgres"]), ("oracle", ["ora_pmon"]),
            ("cassandra", ["cassandra"]), ("mongo", ["mongod"]),
        ]
        return engines.filter { _, markers in
            commandLines.contains { line in markers.contains { line.contains($0) } }
        }.map(\.0)
    }

    /// Every process's command line under `/proc` (those that vanish meanwhile are skipped).
    private static func commandLines(under processes: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: processes)) ?? []
        return names.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
            (try? Data(contentsOf: URL(fileURLWithPath: "\(processes)/\(pid)/cmdline"))).map {
                String(decoding: $0, as: UTF8.self)
            }
        }
    }

    /// The newest `WALinuxAgent-X.Y.Z` the agent keeps in its library (the goal-state agent that runs), read from
    /// the folder names instead of running `waagent -version`.
    static func guestAgentVersion(installed names: [String]) -> String {
        let prefix = "WALinuxAgent-"
        let versions = names.filter { $0.hasPrefix(prefix) && !$0.hasSuffix(".zip") }.compactMap { name in
            let parts = name.dropFirst(prefix.count).split(separator: ".").map { Int($0) }
            return parts.isEmpty || parts.contains(nil) ? nil : parts.compactMap { $0 }
        }
        guard let newest = versions.max(by: { $0.lexicographicallyPrecedes($1) }) else { return "Unknown" }
        return newest.map(String.init).joined(separator: ".")
    }

    /// Python's text of a list of strings: `[]`, `['mysqld', 'postgresql']`.
    static func pythonList(_ items: [String]) -> String {
        "[" + items.map { "'\($0)'" }.joined(separator: ", ") + "]"
    }
}
