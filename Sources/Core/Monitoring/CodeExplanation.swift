import Foundation

/// What an error code means and what to do about it, as the explanation pane shows it.
public struct CodeExplanation: Sendable, Equatable {
    public var code: String
    public var name: String
    public var meaning: String
    public var action: String

    public init(code: String, name: String, meaning: String, action: String) {
        self.code = code
        self.name = name
        self.meaning = meaning
        self.action = action
    }
}

extension CodeExplanation {
    /// The error catalog's entry for a result code ("121", "761"), a service code or a result-code name.
    public static func lookup(_ code: String) -> CodeExplanation? {
        ErrorCatalog.lookup(code).map {
            CodeExplanation(
                code: $0.code.map(String.init) ?? code, name: $0.name, meaning: $0.meaning, action: $0.suggestedAction)
        }
    }
}
