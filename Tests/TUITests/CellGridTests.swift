import Testing

@testable import TUI

@Suite struct CellGridTests {
    @Test func wideCharactersTakeTwoCellsAndClipWhole() {
        var grid = CellGrid(width: 10, height: 1)
        #expect(grid.put("ディスク", x: 0, y: 0) == 8)
        #expect(grid[0, 0].width == 2 && grid[1, 0].width == 0)
        #expect(grid.lines == ["ディスク  "])
        var narrow = CellGrid(width: 5, height: 1)
        #expect(narrow.put("ディスク", x: 0, y: 0) == 4, "a wide character that does not fit is not split")
        #expect(narrow.lines == ["ディス"[...].prefix(2) + " "])
    }

    @Test func overwritingHalfAWideCharacterBlanksTheOtherHalf() {
        var grid = CellGrid(width: 4, height: 1)
        grid.put("漢字", x: 0, y: 0)
        grid.put("x", x: 1, y: 0)
        #expect(grid.lines == [" x字"])
        grid.put("y", x: 2, y: 0)
        #expect(grid.lines == [" xy "])
    }

    @Test func asciiOnlyGridsReplaceWhatTheLocaleCannotShow() {
        var grid = CellGrid(width: 8, height: 1, asciiOnly: true)
        grid.put("ok ✓ 漢", x: 0, y: 0)
        #expect(grid.lines == ["ok ? ?  "])
        grid.hline("─", x: 0, y: 0, width: 2)
        #expect(grid.lines[0].hasPrefix("--"))
    }

    /// Control characters are shown as the same escapes every text output uses (`TerminalText`).
    @Test func controlCharactersNeverReachTheTerminal() {
        var grid = CellGrid(width: 12, height: 1)
        grid.put("a\tb\u{1B}c", x: 0, y: 0)
        #expect(grid.lines == [#"a\tb\x1bc   "#])
    }

    @Test func fittedTextEndsInAnEllipsisWithinTheWidth() {
        #expect(DisplayWidth.fitted("abcdef", columns: 4) == "abc…")
        #expect(DisplayWidth.fitted("ディスク名", columns: 6) == "ディ…")
        #expect(DisplayWidth.of(DisplayWidth.fitted("ディスク名", columns: 6)) <= 6)
        #expect(DisplayWidth.fitted("abc", columns: 3) == "abc")
        #expect(DisplayWidth.of("e\u{301}") == 1, "combining marks take no column")
    }

    @Test func changedCellsAreOnlyWhatDiffers() {
        var before = CellGrid(width: 5, height: 2)
        before.put("hello", x: 0, y: 0)
        var after = before
        after.put("J", x: 0, y: 0)
        after.restyle(x: 4, y: 1, width: 1) { $0.attributes.insert(.bold) }
        #expect(after.changedCells(since: before) == [0, 9])
        #expect(after.changedCells(since: nil).count == 10)
        #expect(after.changedCells(since: CellGrid(width: 4, height: 2)).count == 10)
    }
}

@Suite struct NumberFormattingTests {
    @Test func fixedDecimalsRoundLikePrintf() {
        #expect(RenderContext.fixed(0.4049, digits: 2) == "0.40")
        #expect(RenderContext.fixed(35.95, digits: 1) == "36.0")
        #expect(RenderContext.fixed(6.04, digits: 1) == "6.0")
        #expect(RenderContext.fixed(10, digits: 0) == "10")
        #expect(RenderContext.fixed(-1.25, digits: 1) == "-1.3")
        #expect(RenderContext.fixed(.nan, digits: 1) == "-")
        #expect(RenderContext.duration(0.412) == "0.41 s")
    }
}
