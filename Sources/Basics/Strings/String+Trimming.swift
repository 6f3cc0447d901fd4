import Foundation

extension StringProtocol {
    /// The text without the leading and trailing characters of `set`. Text with none there (the usual case) is
    /// returned without Foundation's copy through NSString, which settings and SAS URIs of several kilobytes paid
    /// on every parse.
    public func trimming(_ set: CharacterSet = .whitespacesAndNewlines) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return "" }
        guard set.contains(first) || set.contains(last) else { return String(self) }
        return trimmingCharacters(in: set)
    }
}
