import Basics
import Foundation

/// One VM of a fleet: its name and its status blob's SAS URI (a secret: shown only redacted).
public struct FleetTarget: Sendable, Equatable {
    public var name: String
    public var statusBlob: SASBlobURI

    public init(name: String, statusBlob: SASBlobURI) {
        self.name = name
        self.statusBlob = statusBlob
    }
}

/// A problem in a `--vms` file: which line, and what was expected.
public struct FleetInventoryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var problem: String

    /// `FILE line N: problem`, or `--container: problem` (line 0).
    public var description: String { line > 0 ? "\(file) line \(line): \(problem)" : "\(file): \(problem)" }
}

/// `vmsnap fleet --vms FILE`: one VM a line, `NAME SAS_URI`; blank lines and `#` comments ignored.
public enum FleetInventory {
    /// The VMs of the file's text, in file order; every bad line is an error naming it (the URI redacted).
    public static func parse(_ text: String, file: String) throws(FleetInventoryError) -> [FleetTarget] {
        var targets: [FleetTarget] = []
        var names = Set<String>()
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            func fail(_ problem: String) -> FleetInventoryError {
                FleetInventoryError(file: file, line: index + 1, problem: Redactor.redact(problem))
            }
            guard fields.count == 2 else {
                throw fail("expected 'NAME SAS_URI' (two fields), found \(fields.count) field(s)")
            }
            let name = TerminalText.sanitize(fields[0])
            guard names.insert(name).inserted else { throw fail("the name '\(name)' was given before") }
            let uri: SASBlobURI
            do {
                uri = try SASBlobURI(fields[1])
            } catch {
                throw fail("expected a SAS blob URI for \(name): \(error.description)")
            }
            let problems = SASPolicy.violations(uri, for: .statusPoll)
            guard problems.isEmpty else {
                throw fail("\(name): " + problems.map(\.description).joined(separator: "; "))
            }
            targets.append(FleetTarget(name: name, statusBlob: uri))
        }
        return targets
    }
}
