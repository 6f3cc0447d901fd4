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
