import Foundation

/// What a SAS blob URI will be used for, and so which permission letters it needs.
public enum SASPurpose: String, Sendable, Codable, CaseIterable {
    /// Snapshot Blob on a disk's page blob: `w` (write) or `c` (create).
    case snapshot
    /// Put Blob of the status document: `w` or `c`.
    case statusUpload
    /// Put Blob of the job log: `w` or `c`.
    case logUpload
    /// Get Blob of the status document by the monitor: `r`.
    case statusPoll

    /// Any one of these letters in `sp` is enough.
    public var sufficientPermissions: Set<Character> {
        switch self {
        case .snapshot, .statusUpload, .logUpload: ["w", "c"]
        case .statusPoll: ["r"]
        }
    }

    /// Human-readable need, e.g. "`w` or `c` (snapshot)".
    public var need: String {
        let letters = sufficientPermissions.sorted().map { "'\($0)'" }.joined(separator: " or ")
        return "\(letters) for \(noun)"
    }

    private var noun: String {
        switch self {
        case .snapshot: "snapshot"
        case .statusUpload: "status upload"
        case .logUpload: "log upload"
        case .statusPoll: "status polling"
        }
    }
}

/// The checks a SAS blob URI must pass before any job starts: transport, validity window, permissions.
public enum SASPolicy {
    /// How far `st` may lie in the future (clock skew between the service and the VM).
    public static let startSkew: TimeInterval = 300

    /// Everything wrong with the URI for this purpose at `now`; empty when it is usable.
    public static func violations(_ uri: SASBlobURI, for purpose: SASPurpose, now: Date = Date()) -> [SASViolation] {
        var problems: [SASViolation] = []
        if uri.scheme != "https" && !uri.isLoopback {
            problems.append(
                .init("https (plain http is allowed only on loopback)", found: "\(uri.scheme)://\(uri.host)"))
        }
        if uri.parameters["sig"].map({ $0.isEmpty }) ?? true {
            problems.append(.init("a signature (sig) in the query", found: "none"))
        }
        switch (uri.parameters["se"], uri.expiry) {
        case (nil, _):
            if uri.parameters["si"] == nil {
                problems.append(.init("an expiry (se) or a stored access policy (si)", found: "neither"))
            }
        case (let text?, nil):
            problems.append(
                .init("an ISO 8601 expiry (se)", found: quoted(text, allowed: isTimeCharacter, longest: 40)))
        case (_, let expiry?):
            if expiry <= now {
                problems.append(.init("an unexpired SAS", found: "expired at \(Timestamp.iso(expiry))"))
            }
        }
        switch (uri.parameters["st"], uri.start) {
        case (let text?, nil):
            problems.append(.init("an ISO 8601 start (st)", found: quoted(text, allowed: isTimeCharacter, longest: 40)))
        case (_, let start?) where start > now.addingTimeInterval(startSkew):
            problems.append(.init("a SAS that is already valid", found: "starts at \(Timestamp.iso(start))"))
        default:
            break
        }
        let letters = Set(uri.permissions ?? "")
        if uri.permissions == nil {
            if uri.parameters["si"] == nil {
                problems.append(.init("permissions (sp) with \(purpose.need)", found: "no sp"))
            }
        } else if letters.isDisjoint(with: purpose.sufficientPermissions) {
            let permissions = uri.permissions ?? ""
            let found =
                isShowable(permissions, allowed: { $0.isASCII && $0.isLetter }, longest: 16)
                ? "sp=\(permissions)" : "sp of \(withheld(permissions))"
            problems.append(.init("permissions with \(purpose.need)", found: found))
        }
        return problems
    }

    /// A parameter's value for a message: quoted when it is showable, else only its length.
    static func quoted(_ value: String, allowed: (Character) -> Bool, longest: Int) -> String {
        isShowable(value, allowed: allowed, longest: longest) ? "'\(value)'" : withheld(value)
    }

    /// Whether a value holds only what such a value may hold, so a message can show it: a truncated URI can merge
    /// its signature into `se` (or `sp`), and the message must not carry it.
    static func isShowable(_ value: String, allowed: (Character) -> Bool, longest: Int) -> Bool {
        value.count <= longest && value.allSatisfy(allowed)
    }

    /// What a message says instead of a value that is not showable.
    static func withheld(_ value: String) -> String {
        "a value of \(value.count) characters that is not shown (it may hold the signature)"
    }

    private static func isTimeCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isNumber || "-:.+ TZ".contains(character))
    }
}

/// One failed SAS check: what was expected and what the URI has instead (never the signature).
public struct SASViolation: Sendable, Equatable, CustomStringConvertible {
    public var expected: String
    public var found: String

    public init(_ expected: String, found: String) {
        self.expected = expected
        self.found = Redactor.redact(found)
    }

    public var description: String { "expected \(expected), found \(found)" }
}

/// ISO 8601 UTC formatting used in messages and summaries.
public enum Timestamp {
    /// `2017-11-09T17:38:28Z`.
    public static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
