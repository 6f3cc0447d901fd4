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

    /// The running machine's facts, read once.
    public static let current = SystemFacts.read()

    static func read(osRelease: String = "/etc/os-release", productUUID: String = "/sys/class/dmi/id/product_uuid")
        -> SystemFacts
    {
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
        return SystemFacts(
            osVersion: os.isEmpty ? "Linux" : os, kernelVersion: kernel, uniqueMachineID: uuid,
            storage: StorageSurvey.current())
    }
}
