import Foundation

/// Blob content stored in fixed-size chunks; never-written chunks read as zeros (page blobs are mostly empty).
struct SparseBytes: Sendable, Equatable {
    static let chunkSize = 64 * 1024
    /// Most bytes one `read` should be asked for: its result is allocated in full, however sparse the content.
    static let largestRead = 256 << 20

    private(set) var length: Int
    private var chunks: [Int: [UInt8]]

    init(length: Int = 0) {
        self.length = length
        chunks = [:]
    }

    init(_ bytes: [UInt8]) {
        self.init()
        write(bytes, at: 0)
    }

    /// The bytes in `range` (which must lie within `0..<length`).
    func read(_ range: Range<Int>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: range.count)
        guard !chunks.isEmpty else { return out }
        var offset = range.lowerBound
        while offset < range.upperBound {
            let index = offset / Self.chunkSize
            let within = offset % Self.chunkSize
            let count = min(Self.chunkSize - within, range.upperBound - offset)
            if let chunk = chunks[index] {
                let outStart = offset - range.lowerBound
                out.replaceSubrange(outStart..<(outStart + count), with: chunk[within..<(within + count)])
            }
            offset += count
        }
        return out
    }

    /// Every byte.
    var all: [UInt8] { read(0..<length) }

    /// Writes bytes at `offset`, growing the length when they reach past the end.
    mutating func write(_ bytes: some Collection<UInt8>, at offset: Int) {
        var source = bytes.startIndex
        var position = offset
        while source != bytes.endIndex {
            let index = position / Self.chunkSize
            let within = position % Self.chunkSize
            let count = min(Self.chunkSize - within, bytes.distance(from: source, to: bytes.endIndex))
            let end = bytes.index(source, offsetBy: count)
            var chunk = chunks[index] ?? [UInt8](repeating: 0, count: Self.chunkSize)
            chunk.replaceSubrange(within..<(within + count), with: bytes[source..<end])
            chunks[index] = chunk
            source = end
            position += count
        }
        length = max(length, position)
    }

    /// Zeroes `range` (page clear), growing the length when it reaches past the end.
    ///
    /// Only chunks already stored are touched (whole ones dropped, partial ones zeroed), so clearing a huge
    /// range costs nothing in proportion to its size.
    mutating func clear(_ range: Range<Int>) {
        length = max(length, range.upperBound)
        guard !range.isEmpty else { return }
        let touched = (range.lowerBound / Self.chunkSize)...((range.upperBound - 1) / Self.chunkSize)
        let stored = touched.count <= chunks.count ? Array(touched) : chunks.keys.filter(touched.contains)
        for index in stored {
            let chunkStart = index * Self.chunkSize
            let lower = max(range.lowerBound, chunkStart) - chunkStart
            let upper = min(range.upperBound, chunkStart + Self.chunkSize) - chunkStart
            guard lower < upper, var chunk = chunks[index] else { continue }
            chunk.replaceSubrange(lower..<upper, with: repeatElement(0, count: upper - lower))
            chunks[index] = chunk.allSatisfy { $0 == 0 } ? nil : chunk
        }
    }

    /// Sets the length, dropping content past a new, shorter end.
    mutating func resize(to newLength: Int) {
        if newLength < length {
            let partial = newLength % Self.chunkSize
            if partial != 0, var last = chunks[newLength / Self.chunkSize] {
                last.replaceSubrange(partial..<Self.chunkSize, with: repeatElement(0, count: Self.chunkSize - partial))
                chunks[newLength / Self.chunkSize] = last
            }
            let firstDropped = (newLength + Self.chunkSize - 1) / Self.chunkSize
            chunks = chunks.filter { $0.key < firstDropped }
        }
        length = newLength
    }
}

extension SparseBytes: Codable {
    private enum CodingKeys: String, CodingKey { case length, chunks }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        length = try c.decode(Int.self, forKey: .length)
        let encoded = try c.decode([String: Data].self, forKey: .chunks)
        chunks = [:]
        for (key, data) in encoded {
            guard let index = Int(key), index >= 0, data.count <= Self.chunkSize else {
                throw DecodingError.dataCorruptedError(
                    forKey: .chunks, in: c, debugDescription: "chunk '\(key)' is longer than \(Self.chunkSize) bytes")
            }
            chunks[index] = [UInt8](data) + [UInt8](repeating: 0, count: Self.chunkSize - data.count)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(length, forKey: .length)
        // Trailing zeros are left out (decoding pads them back).
        let trimmed = chunks.map { index, chunk in
            (String(index), Data(chunk[..<((chunk.lastIndex { $0 != 0 } ?? -1) + 1)]))
        }
        try c.encode(Dictionary(uniqueKeysWithValues: trimmed), forKey: .chunks)
    }
}
