import CVMSnapCurses
import Core
import Testing

@testable import TUI

@Suite struct PaletteTests {
    @Test func theLightThemeIsReadableOnWhiteAndReallyDifferent() {
        let vanishOnWhite = [Int16(COLOR_YELLOW), Int16(COLOR_CYAN), Int16(COLOR_WHITE)]
        for role in ColorRole.allCases {
            #expect(!vanishOnWhite.contains(Palette.light.foreground(role) ?? -1), "\(role)")
            #expect(Palette.monochrome.foreground(role) == nil)
        }
        let differing = ColorRole.allCases.filter { Palette.light.foreground($0) != Palette.dark.foreground($0) }
        #expect(Set(differing) == [.accent, .title, .warning])
        #expect(Palette.allCases.map(\.rawValue) == VMSnapConfiguration.Theme.allCases.map(\.rawValue))
    }
}
