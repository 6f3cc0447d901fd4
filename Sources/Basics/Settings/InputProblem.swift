import Foundation

/// One thing wrong with an input file: which file, where in it (JSON path), what was expected and what was found.
///
/// Every text is redacted when the problem is made, so a problem can be printed, logged or uploaded as is.
public struct InputProblem: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The file (or directory, or environment variable) the problem is in.
    public var file: String
    /// JSON path of the offending value, e.g. `$.runtimeSettings[0].handlerSettings.publicSettings.taskId`.
    public var path: String
    /// What was expected there, e.g. "a non-empty string".
    public var expected: String
    /// What was found instead, when that helps (never a secret).
    public var found: String?
    /// The extension result code this problem ends a job with (11 bad settings, 16 certificate, 17 LUN list).
    public var code: Int

    public init(file: String, path: String, expected: String, found: String? = nil, code: Int = 11) {
        self.file = Redactor.redact(file)
        self.path = Redactor.redact(path)
        self.expected = Redactor.redact(expected)
        self.found = found.map(Redactor.redact)
        self.code = code
    }

    public var description: String {
        "\(file): \(path): expected \(expected)" + (found.map { ", found \($0)" } ?? "")
    }
}

/// Why job settings could not be loaded: one or more problems, each naming file, JSON path and expectation.
public struct SettingsError: Error, Sendable, CustomStringConvertible {
    /// Every problem found (at least one).
    public var problems: [InputProblem]
    /// The parsed settings when only the pre-job checks (SAS expiry, permissions) failed, so a caller can still
    /// report the failure to the status blob; nil when the settings could not be parsed.
    public var settings: JobSettings?
    /// The status and log blobs the settings name, for reporting the refusal: `SettingsLoader.load` keeps only
    /// those that pass their own checks (transport, validity, permissions), so a refused URI is never contacted.
    public var uploadTargets: UploadTargets

    public init(
        _ problems: [InputProblem], settings: JobSettings? = nil, uploadTargets: UploadTargets = UploadTargets()
    ) {
        precondition(!problems.isEmpty, "a SettingsError needs at least one problem")
        self.problems = problems
        self.settings = settings
        self.uploadTargets = uploadTargets
    }

    public init(file: String, path: String, expected: String, found: String? = nil, code: Int = 11) {
        self.init([InputProblem(file: file, path: path, expected: expected, found: found, code: code)])
    }

    /// The file of the first problem.
    public var file: String { problems[0].file }
    /// The JSON path of the first problem.
    public var path: String { problems[0].path }
    /// What the first problem expected.
    public var expected: String { problems[0].expected }
    /// The extension result code to report: 16 when the certificate was the problem, else the first problem's.
    public var resultCode: Int { Self.resultCode(of: problems) ?? 11 }

    /// The result code a job with these problems ends with: 16 when the certificate was a problem, else the
    /// first problem's; nil without problems.
    public static func resultCode(of problems: [InputProblem]) -> Int? {
        problems.first(where: { $0.code == 16 })?.code ?? problems.first?.code
    }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
