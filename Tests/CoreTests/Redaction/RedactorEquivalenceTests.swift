import Core
import Foundation
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// The scanner redacts exactly what the regular expressions it replaced redacted (kept here as the oracle).
@Suite struct RedactorEquivalenceTests {
    private static let oracle: [NSRegularExpression] = [
        #"((?:^|[^A-Za-z0-9\-_.%ſ]|\\u0026)sig=)(?!REDACTED(?:[&"'\s\\<]|$))[^&"'\s\\<>]+"#,
        #"((?:%26|%3F)sig%3D)(?!REDACTED)[^&"'\s\\<>%]*(?:%(?!26)[0-9A-Fa-f]{2}[^&"'\s\\<>%]*)*"#,
    ].map { try! NSRegularExpression(pattern: $0, options: [.caseInsensitive]) }

    private static func oracleRedact(_ text: String) -> String {
        var result = text
        for pattern in oracle {
            result = pattern.stringByReplacingMatches(
                in: result, range: NSRange(result.startIndex..., in: result), withTemplate: "$1REDACTED")
        }
        return result
    }

    private static let pieces = [
        "?", "&", ";", "&amp;", "\\u0026", "\\U0026", "sig=", "SIG=", "Sig=", "ſig=", "sig", "%26sig%3D", "%3Fsig%3d",
        "%3f", "%26", "%2F", "%2B", "%2", "%G1", "%", "REDACTED", "redacted", "abc", "X", "=", "\"", "'", " ", "\t",
        "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{2028}", "\u{3000}", "\\", "<", ">", "2", "6", "é",
        "😀", "https://a.blob.core.windows.net/c/b", "(", ",", "-", "_", ".", "=",
    ]

    /// A small deterministic generator (xorshift), so a failure always reproduces.
    private struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
    }

    @Test func agreesWithTheRegularExpressionsOnGeneratedText() {
        var generator = Generator(state: 0x9E37_79B9_7F4A_7C15)
        var disagreements: [String] = []
        for _ in 0..<20_000 {
            let count = Int.random(in: 1...14, using: &generator)
            let text = (0..<count).map { _ in Self.pieces.randomElement(using: &generator)! }.joined()
            if Redactor.redact(text) != Self.oracleRedact(text) {
                disagreements.append(text + " => " + Redactor.redact(text) + " VS " + Self.oracleRedact(text))
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5).map { $0.debugDescription })")
    }
}
