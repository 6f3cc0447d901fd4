/// Finds where a text stops being JSON, as a line and column, for error messages (Foundation's parsers say "not
/// valid JSON" or a byte offset at best). Iterative, so any nesting depth is safe; it never quotes the input.
enum JSONSyntaxLocator {
    /// Where the first syntax error is, and what was expected there.
    struct Location: Equatable {
        var line: Int
        var column: Int
        var expected: String

        var description: String { "line \(line), column \(column): expected \(expected)" }
    }

    private enum Container { case array, object }
    private enum Want { case value, valueOrClose, key, keyOrClose, colon, commaOrClose, end }

    /// The first error in `bytes`, or nil when they are valid JSON.
    static func locate(_ bytes: [UInt8]) -> Location? {
        var stack: [Container] = []
        var want = Want.value
        var i = 0
        func fail(_ expected: String) -> Location { location(of: min(i, bytes.count), in: bytes, expected: expected) }
        while true {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
            guard i < bytes.count else { return want == .end ? nil : fail(describe(want, stack.last)) }
            let byte = bytes[i]
            switch want {
            case .end:
                return fail("the end of the document")
            case .colon:
                guard byte == UInt8(ascii: ":") else { return fail("':'") }
                i += 1
                want = .value
            case .commaOrClose:
                if byte == UInt8(ascii: ",") {
                    i += 1
                    want = stack.last == .object ? .key : .value
                } else if byte == (stack.last == .object ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i += 1
                    stack.removeLast()
                    want = stack.isEmpty ? .end : .commaOrClose
                } else {
                    return fail(describe(want, stack.last))
                }
            case .key, .keyOrClose:
                if want == .keyOrClose, byte == UInt8(ascii: "}") {
                    i += 1
                    stack.removeLast()
                    want = stack.isEmpty ? .end : .commaOrClose
                    continue
                }
                guard byte == UInt8(ascii: "\""), let end = stringEnd(bytes, from: i) else {
                    return fail("a quoted key")
                }
                i = end
                want = .colon
            case .value, .valueOrClose:
                if want == .valueOrClose, byte == UInt8(ascii: "]") {
                    i += 1
                    stack.removeLast()
                    want = stack.isEmpty ? .end : .commaOrClose
                    continue
                }
                switch byte {
                case UInt8(ascii: "{"):
                    stack.append(.object)
                    i += 1
                    want = .keyOrClose
                    continue
                case UInt8(ascii: "["):
                    stack.append(.array)
                    i += 1
                    want = .valueOrClose
                    continue
                case UInt8(ascii: "\""):
                    guard let end = stringEnd(bytes, from: i) else { return fail("a closed string") }
                    i = end
                default:
                    guard let end = scalarEnd(bytes, from: i) else { return fail("a value") }
                    i = end
                }
                want = stack.isEmpty ? .end : .commaOrClose
            }
        }
    }

    private static func describe(_ want: Want, _ container: Container?) -> String {
        switch want {
        case .value, .valueOrClose: "a value"
        case .key, .keyOrClose: "a quoted key"
        case .colon: "':'"
        case .commaOrClose: container == .object ? "',' or '}'" : "',' or ']'"
        case .end: "the end of the document"
        }
    }

    /// The index after a string starting at `start` (a quote), nil when it is not closed or has a raw control byte.
    private static func stringEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start + 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""): return i + 1
            case UInt8(ascii: "\\"): i += 2
            case 0..<0x20: return nil
            default: i += 1
            }
        }
        return nil
    }

    /// The index after a number, `true`, `false` or `null` starting at `start`.
    private static func scalarEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        for literal in ["true", "false", "null"] {
            let word = Array(literal.utf8)
            if bytes.count >= start + word.count, Array(bytes[start..<start + word.count]) == word {
                return start + word.count
            }
        }
        var i = start
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let digits = i
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
        guard i > digits else { return nil }
        while i < bytes.count, "+-.eE0123456789".utf8.contains(bytes[i]) { i += 1 }
        return i
    }

    private static func location(of offset: Int, in bytes: [UInt8], expected: String) -> Location {
        var line = 1
        var lineStart = 0
        for (index, byte) in bytes[..<offset].enumerated() where byte == 0x0A {
            line += 1
            lineStart = index + 1
        }
        // Columns count characters, not bytes (UTF-8 continuation bytes do not start one).
        let column = bytes[lineStart..<offset].filter { $0 & 0xC0 != 0x80 }.count + 1
        return Location(line: line, column: column, expected: expected)
    }
}
