import Foundation
import Synchronization

/// Every secret value this process has seen (signatures from every SAS URI parsed, wherever in the URI they stood;
/// tokens from the settings), in each form it can take in text: as written, percent-decoded, percent-encoded once
/// or twice and JSON-escaped; the hex digits of percent escapes match in either case. `Redactor.redact` masks each of them wherever it appears,
/// so a signature is hidden even where no `sig=` announces it.
public enum KnownSecrets {
    /// Values shorter than this are not remembered: no real signature (44 characters of base64) or token is, and
    /// masking them would mangle ordinary text such as a date.
    public static let minimumLength = 16
    /// The shortest snapshotTaskToken remembered (a GUID has 36 characters).
    public static let minimumTokenLength = 20

    private struct Store {
        /// Each form's bytes, indexed by its first 8 bytes (a form is at least `minimumLength` long).
        var forms: [UInt64: [[UInt8]]] = [:]
        var count = 0
    }

    /// A store of secrets behind its lock.
    private final class Box: Sendable {
        let mutex = Mutex(Store())
    }

    /// The process's secrets.
    private static let processStore = Box()

    /// A store of its own for a scope (`isolated`), else the process's.
    @TaskLocal private static var scopedStore: Box?

    private static var box: Box { scopedStore ?? processStore }

    /// Runs `body` with a fresh store of its own: what it remembers is forgotten afterwards and never masks the
    /// process's other text (fuzzing feeds thousands of mangled documents through the parsers).
    public static func isolated<T>(_ body: () throws -> T) rethrows -> T {
        try $scopedStore.withValue(Box(), operation: body)
    }

    /// Remembers a secret value (and its encoded forms). Only values a signature or token can be are kept:
    /// base64 or base64url text, possibly percent-encoded (no dots, quotes, spaces or JSON punctuation), so a
    /// mangled document cannot make ordinary words (`andToExecute`, `.blob.core.windows.net`) secrets.
    public static func remember(_ secret: String) {
        guard secret.utf8.count >= minimumLength, secret.utf8.allSatisfy(isSecretByte) else { return }
        let forms = variants(of: secret)
        box.mutex.withLock { store in
            for form in forms.map(hexUppercased) where form.count >= minimumLength {
                let key = prefixKey(form, at: 0)
                if store.forms[key]?.contains(form) == true { continue }
                store.forms[key, default: []].append(form)
                store.count += 1
            }
        }
    }

    /// A byte of base64 or of its percent-encoded form.
    private static func isBase64Byte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default: "+/=%".utf8.contains(byte)
        }
    }

    /// A byte a signature or token can hold: base64, base64url (`-`, `_`), percent-encoded.
    private static func isSecretByte(_ byte: UInt8) -> Bool { isBase64Byte(byte) || "-_".utf8.contains(byte) }

    /// Remembers the value of every `sig` parameter in a text, at any position (path or query) and in any
    /// encoding (`sig=`, `sig%3D`, `sig%253D`, case-insensitive).
    public static func rememberSignatures(in text: String) {
        for value in signatureValues(in: text) where looksLikeSignature(value) { remember(value) }
    }

    /// A signature is base64 (an HMAC-SHA256: 44 characters ending in `=`), possibly percent-encoded: never a word
    /// or a date that a mangled document put after `sig=` (`andToExecute`, `2017-11-09T17`).
    static func looksLikeSignature(_ value: String) -> Bool {
        let bytes = value.utf8
        return bytes.allSatisfy(isBase64Byte)
            && bytes.contains { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || "+/=%".utf8.contains($0) }
    }

    /// Whether any secret is known (the redactor's fast path).
    static var isEmpty: Bool { box.mutex.withLock { $0.count == 0 } }

    /// The ranges (in UTF-8 offsets) of every known secret form in `bytes`, longest match first at each position.
    static func matches(in text: [UInt8]) -> [Range<Int>] {
        guard text.count >= minimumLength else { return [] }
        let bytes = hexUppercased(text)
        return box.mutex.withLock { store in
            var ranges: [Range<Int>] = []
            var i = 0
            while i + minimumLength <= bytes.count {
                let candidates = store.forms[prefixKey(bytes, at: i)] ?? []
                let longest = candidates.filter { form in
                    i + form.count <= bytes.count && bytes[i..<(i + form.count)].elementsEqual(form)
                }.map(\.count).max()
                if let longest {
                    ranges.append(i..<(i + longest))
                    i += longest
                } else {
                    i += 1
                }
            }
            return ranges
        }
    }

    /// The forms a secret can take in text.
    static func variants(of secret: String) -> Set<[UInt8]> {
        var decoded: Set<String> = [secret]
        if let once = secret.removingPercentEncoding {
            decoded.insert(once)
            if let twice = once.removingPercentEncoding { decoded.insert(twice) }
        }
        var forms: Set<String> = decoded
        for value in decoded {
            let once = percentEncoded(value)
            forms.insert(once)
            forms.insert(percentEncoded(once))
            forms.insert(value.replacingOccurrences(of: "/", with: "\\/"))
        }
        return Set(forms.map { Array($0.utf8) })
    }

    /// Every `sig` value in a text: after `sig=`, `sig%3D` or `sig%253D` (any case) up to a delimiter.
    static func signatureValues(in text: String) -> [String] {
        let bytes = Array(text.utf8)
        let lowered = bytes.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
        var values: [String] = []
        var i = 0
        while i + 4 <= lowered.count {
            guard lowered[i] == UInt8(ascii: "s"), lowered[i + 1] == UInt8(ascii: "i"),
                lowered[i + 2] == UInt8(ascii: "g")
            else {
                i += 1
                continue
            }
            let start: Int? =
                if lowered[i + 3] == UInt8(ascii: "=") {
                    i + 4
                } else if lowered[(i + 3)...].starts(with: Array("%3d".utf8)) {
                    i + 6
                } else if lowered[(i + 3)...].starts(with: Array("%253d".utf8)) {
                    i + 8
                } else {
                    nil
                }
            guard let start else {
                i += 1
                continue
            }
            var end = start
            while end < bytes.count, !isDelimiter(lowered, at: end) { end += 1 }
            if end > start { values.append(String(decoding: bytes[start..<end], as: UTF8.self)) }
            i = max(end, i + 1)
        }
        return values
    }

    /// Where a signature value ends: `&` (also encoded once or twice), `?`, `#`, a quote, `\`, `<`, `>`, white space.
    private static func isDelimiter(_ lowered: [UInt8], at i: Int) -> Bool {
        switch lowered[i] {
        case UInt8(ascii: "&"), UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: "\""), UInt8(ascii: "'"),
            UInt8(ascii: "\\"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: " "), 0x09, 0x0A, 0x0D:
            return true
        case UInt8(ascii: "%"):
            return lowered[i...].starts(with: Array("%26".utf8)) || lowered[i...].starts(with: Array("%2526".utf8))
                || lowered[i...].starts(with: Array("%3f".utf8))
        default:
            return false
        }
    }

    /// Every byte outside the URI-unreserved set as `%XX`.
    private static func percentEncoded(_ text: String) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes with the two hex digits after each `%` in upper case (same length, so offsets still match).
    private static func hexUppercased(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        var i = 0
        while i + 2 < out.count {
            if out[i] == UInt8(ascii: "%"), isHex(out[i + 1]), isHex(out[i + 2]) {
                for j in (i + 1)...(i + 2) where (0x61...0x66).contains(out[j]) { out[j] -= 0x20 }
                i += 3
            } else {
                i += 1
            }
        }
        return out
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    private static func prefixKey(_ bytes: [UInt8], at i: Int) -> UInt64 {
        var key: UInt64 = 0
        for offset in 0..<8 { key = key << 8 | UInt64(bytes[i + offset]) }
        return key
    }
}
