import Core
import Foundation

/// Where every command's text output goes: sanitised by `TerminalText` (control and bidi characters from data are
/// shown as escapes), so a status document, a settings file or a storage answer cannot drive the terminal.
enum TerminalOutput {
    /// Writes text (possibly several lines) to standard output.
    static func standardOutput(_ text: String) {
        FileHandle.standardOutput.write(Data(TerminalText.sanitize(text, layout: .lines).utf8))
    }

    /// Writes text (possibly several lines) to standard error.
    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(TerminalText.sanitize(text, layout: .lines).utf8))
    }
}
