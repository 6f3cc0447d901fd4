import Foundation

/// Where a job reports: its status blob and its log blob, with those given but refused by their checks.
public struct UploadTargets: Sendable {
    public var statusBlob: SASBlobURI?
    public var logsBlob: SASBlobURI?
    /// The roles whose URI was given but failed its checks (never contacted).
    public private(set) var refused: [SASTarget.Role] = []

    public init(statusBlob: SASBlobURI? = nil, logsBlob: SASBlobURI? = nil) {
        self.statusBlob = statusBlob
        self.logsBlob = logsBlob
    }

    /// The status and log targets among a job's SAS targets, unchecked.
    init(_ targets: [SASTarget]) {
        statusBlob = targets.first { $0.role == .status }?.uri
        logsBlob = targets.first { $0.role == .logs }?.uri
    }

    /// Only the targets that pass `SASPolicy` for their purpose at `now`; the others are dropped and listed in
    /// `refused`.
    public func checked(now: Date) -> UploadTargets {
        var result = UploadTargets()
        for (role, uri) in [(SASTarget.Role.status, statusBlob), (.logs, logsBlob)] {
            guard let uri else { continue }
            let purpose: SASPurpose = role == .status ? .statusUpload : .logUpload
            guard SASPolicy.violations(uri, for: purpose, now: now).isEmpty else {
                result.refused.append(role)
                continue
            }
            if role == .status { result.statusBlob = uri } else { result.logsBlob = uri }
        }
        return result
    }

    /// What a refused job tells about its reporting: which targets were not contacted, or that the status blob
    /// still receives the refusal.
    public var reportingNote: String {
        var notes: [String] = []
        if !refused.isEmpty {
            notes.append(
                "\(refused.map(\.description).joined(separator: " and ")) URI failed its checks and was not contacted")
        }
        if statusBlob != nil { notes.append("this error is reported to the status blob, whose URI passed its checks") }
        return notes.joined(separator: "; ")
    }
}
