import Basics
import Foundation

/// A deterministic mutation fuzzer: from a seed corpus, each iteration takes a seed, applies a few random
/// mutations (byte flips, insertions and deletions, duplicated or spliced ranges, and tokens known to break
/// parsers: huge and non-finite numbers, escapes, encodings, deep nesting) and hands the bytes to a target. The
/// same seed number gives the same inputs, so any failure is replayed by its iteration number.
struct MutationFuzzer {
    /// Iterations per target: `VMSNAP_FUZZ_ITERATIONS` (scripts/fuzz sets a large number), else a short run.
    static var iterations: Int {
        ProcessInfo.processInfo.environment["VMSNAP_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 300
    }

    /// The generator's seed: `VMSNAP_FUZZ_SEED`, else a fixed one.
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["VMSNAP_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x766D_736E_6170
    }

    /// Texts that have broken parsers before (or would): numbers, escapes, encodings, structure.
    static let tokens: [String] = [
        "1e400", "-1e30", "1e30", "NaN", "nan", "inf", "-0", "9223372036854775808", "-9223372036854775809",
        "4294967296", "\\/Date(1e400)\\/", "/Date(NaN)/", "1e400:0:0", "-1 day, 23:59:59", "\u{1B}]52;c;eA==\u{07}",
        "\u{1B}[2J", "\u{9B}", "\u{202E}", "\u{2066}", "\u{0}", "\\u0000", "\\ud800", "%", "%25", "%252B", "%3D",
        "sig=", "&sig=", "%26sig%3D", "sig%253D", "?", "&", "#", "\"", "\\", "[", "]", "{", "}", ",", ":", "null",
        "true", "[[[[[[[[[[[[[[[[", "{\"a\":{\"a\":{\"a\":", "\r\n", "\n", "\t", "é", "漢", "🚀", "\u{FFFD}",
        "https://", "http://10.0.0.1/", "st=", "se=", "sp=", "2099-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
        "0000-00-00T00:00:00Z", "6.36458E+17", "Date(", ")/",
    ]

    private var generator: SplitMix64
    let corpus: [[UInt8]]

    init(corpus: [[UInt8]], seed: UInt64 = MutationFuzzer.seed) {
        precondition(!corpus.isEmpty, "a fuzzer needs at least one seed input")
        self.corpus = corpus
        generator = SplitMix64(seed: seed)
    }

    /// Runs the target on every seed and `iterations` mutations. Secrets the parsers remember from mangled inputs
    /// stay in a store of the run's own, so they never mask other tests' text.
    mutating func run(iterations: Int = MutationFuzzer.iterations, _ target: ([UInt8]) throws -> Void) rethrows {
        let inputs = corpus + (0..<iterations).map { _ in next() }
        try KnownSecrets.isolated {
            for input in inputs { try target(input) }
        }
    }

    /// The next mutated input.
    mutating func next() -> [UInt8] {
        var bytes = corpus[Int(generator.next() % UInt64(corpus.count))]
        let mutations = 1 + Int(generator.next() % 6)
        for _ in 0..<mutations { mutate(&bytes) }
        return bytes
    }

    private mutating func mutate(_ bytes: inout [UInt8]) {
        let position = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count + 1))
        switch generator.next() % 7 {
        case 0 where !bytes.isEmpty:
            let index = min(position, bytes.count - 1)
            bytes[index] ^= UInt8(truncatingIfNeeded: 1 << (generator.next() % 8))
        case 1:
            bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
        case 2 where !bytes.isEmpty:
            let end = min(bytes.count, position + 1 + Int(generator.next() % 16))
            bytes.removeSubrange(min(position, bytes.count - 1)..<end)
        case 3 where !bytes.isEmpty:
            let start = min(position, bytes.count - 1)
            let end = min(bytes.count, start + 1 + Int(generator.next() % 64))
            bytes.insert(contentsOf: bytes[start..<end], at: Int(generator.next() % UInt64(bytes.count + 1)))
        case 4:
            let other = corpus[Int(generator.next() % UInt64(corpus.count))]
            guard !other.isEmpty else { return }
            let start = Int(generator.next() % UInt64(other.count))
            let end = min(other.count, start + 1 + Int(generator.next() % 128))
            bytes.insert(contentsOf: other[start..<end], at: position)
        default:
            let token = Self.tokens[Int(generator.next() % UInt64(Self.tokens.count))]
            bytes.insert(contentsOf: Array(token.utf8), at: position)
        }
    }
}

/// SplitMix64: a small, fast, seedable generator (the same seed always gives the same numbers).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
