/// Splits text into words with POSIX shell quoting rules (blanks separate words; single quotes keep everything;
/// double quotes keep everything but `\"`, `\\`, `\$` and `` \` ``; a backslash outside quotes keeps the next
/// character), without expanding anything: workload.conf's `credString` becomes the client's argv, never a shell line.
enum ShellWords {
    /// Why the text cannot be split.
    enum Problem: Error, Equatable, CustomStringConvertible {
        case unterminatedQuote(Character)
        case trailingBackslash

        var description: String {
            switch self {
            case .unterminatedQuote(let quote): "an unterminated \(quote) quote"
            case .trailingBackslash: "a backslash at the end"
            }
        }
    }

    static func split(_ text: String) throws(Problem) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var characters = text.makeIterator()
        while let character = characters.next() {
            switch character {
            case " ", "\t", "\n":
                if inWord { words.append(word) }
                (word, inWord) = ("", false)
            case "'":
                inWord = true
                while true {
                    guard let next = characters.next() else { throw .unterminatedQuote("'") }
                    if next == "'" { break }
                    word.append(next)
                }
            case "\"":
                inWord = true
                while true {
                    guard let next = characters.next() else { throw .unterminatedQuote("\"") }
                    if next == "\"" { break }
                    if next == "\\" {
                        guard let escaped = characters.next() else { throw .unterminatedQuote("\"") }
                        if !"\"\\$`".contains(escaped) { word.append("\\") }
                        word.append(escaped)
                    } else {
                        word.append(next)
                    }
                }
            case "\\":
                guard let escaped = characters.next() else { throw .trailingBackslash }
                inWord = true
                word.append(escaped)
            default:
                inWord = true
                word.append(character)
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
