import Core
import Foundation
import TestSupport
import Testing

/// The one sanitiser for terminal text and extension.log.
@Suite struct TerminalTextTests {
    @Test func controlsBecomeVisibleEscapes() {
        #expect(TerminalText.sanitize("\u{1B}]52;c;aGFja2Vk\u{07}") == #"\x1b]52;c;aGFja2Vk\x07"#)
        #expect(TerminalText.sanitize("\u{1B}]2;title\u{1B}\\") == #"\x1b]2;title\x1b\"#)
        #expect(TerminalText.sanitize("\u{1B}[2J") == #"\x1b[2J"#)
        #expect(TerminalText.sanitize("\u{9B}31m") == #"\u{9b}31m"#)
        #expect(TerminalText.sanitize("a\r\u{7F}\u{0}") == #"a\x0d\x7f\x00"#)
    }

    @Test func bidiControlsAreNeutralised() {
        #expect(TerminalText.sanitize("abc\u{202E}txt.exe") == #"abc\u{202e}txt.exe"#)
        #expect(TerminalText.sanitize("\u{2066}x\u{2069}\u{200F}\u{061C}") == #"\u{2066}x\u{2069}\u{200f}\u{061c}"#)
    }

    @Test func lineBreaksSurviveOnlyInMultiLineOutput() {
        #expect(TerminalText.sanitize("a\nb\tc", layout: .lines) == "a\nb\tc")
        #expect(TerminalText.sanitize("a\nb\tc") == #"a\nb\tc"#)
    }

    @Test func printableTextIsUntouched() {
        for text in ["plain ascii", "データディスク-本番.vhd", "✓ done … ─", "naïve café", "emoji 🚀", ""] {
            #expect(TerminalText.sanitize(text) == text)
        }
    }

    @Test(arguments: HostileInputs.terminalPayloads) func nothingActsOnATerminalAfterward(_ payload: String) {
        #expect(HostileInputs.actsOnTerminal(payload))
        #expect(!HostileInputs.actsOnTerminal(TerminalText.sanitize(payload)))
        #expect(!HostileInputs.actsOnTerminal(TerminalText.sanitize(payload, layout: .lines)))
    }

    /// extension.log stores storage answers and script output: escapes from them are written visibly.
    @Test(arguments: HostileInputs.terminalPayloads) func extensionLogLinesAreSanitised(_ payload: String) throws {
        let directory = try SettingsFixtures.temporaryDirectory("terminal-text")
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = ExtensionLog(directory: directory.path)
        log.write("storage said: \(payload)\nsecond line")
        let written = try String(contentsOfFile: log.path!, encoding: .utf8)
        #expect(!HostileInputs.actsOnTerminal(written))
        #expect(written.contains("storage said: \(TerminalText.sanitize(payload)) | second line"))
        #expect(written.split(separator: "\n").count == 1)
        #expect(!HostileInputs.actsOnTerminal(log.jobLog))
    }
}
