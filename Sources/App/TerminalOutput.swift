import Core
import Foundation

/// Where every command's text output goes: sanitised by `TerminalText` (control and bidi characters from data are
/// shown as escapes), so a status document, a settings file or a storage answer cannot drive the terminal.
enum TerminalOutput {
    /// Writes text (possibly several lines) to standard output.
    static func standardOutput(_ text: String) {
        FileHandle.standardOutput.write(Data(TerminalText.sanitize(text, layout: .lines).utf8))
    }

    /// Writes JSON text ending in a newline to standard output, C1 and bidi controls as `\uXXXX` escapes (the same JSON to
    /// a parser), then flushes: each line as it happens, also through a pipe (`vmsnap snapshot --json | jq`).
    static func json(_ text: String) {
        let line = text.hasSuffix("\n") ? text : text + "\n"
        FileHandle.standardOutput.write(Data(TerminalText.sanitizeJSON(line).utf8))
    }

    /// Writes text (possibly several lines) to standard error.
    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(TerminalText.sanitize(text, layout: .lines).utf8))
    }
}
