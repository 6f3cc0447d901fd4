import Foundation
import Testing

@testable import Emulator

/// Chunked blob content: writes across chunk boundaries, clears, resizes and the saved form.
@Suite struct SparseBytesTests {
    static let chunk = SparseBytes.chunkSize

    @Test func writeAcrossChunksAndReadBack() {
        var bytes = SparseBytes(length: 3 * Self.chunk)
        let data = [UInt8]((0..<1000).map { UInt8($0 % 251) })
        bytes.write(data, at: Self.chunk - 500)
        #expect(bytes.read((Self.chunk - 500)..<(Self.chunk + 500)) == data)
        #expect(bytes.read(0..<10) == [UInt8](repeating: 0, count: 10))
        #expect(bytes.length == 3 * Self.chunk)
        bytes.write([1, 2, 3], at: bytes.length)
        #expect(bytes.length == 3 * Self.chunk + 3)
        #expect(bytes.read((3 * Self.chunk)..<(3 * Self.chunk + 3)) == [1, 2, 3])
    }

    @Test func clearAndShrinkLeaveNoStaleBytes() {
        var bytes = SparseBytes([UInt8](repeating: 9, count: 2 * Self.chunk))
        bytes.clear(0..<512)
        #expect(bytes.read(0..<513) == [UInt8](repeating: 0, count: 512) + [9])
        bytes.resize(to: 600)
        bytes.resize(to: 2 * Self.chunk)
        #expect(bytes.read(512..<600).allSatisfy { $0 == 9 })
        #expect(bytes.read(600..<(2 * Self.chunk)).allSatisfy { $0 == 0 })
    }

    /// Clearing a huge range touches only stored chunks: partial ones keep their bytes outside it, the rest go.
    @Test func clearOfHugeRangeTouchesOnlyStoredChunks() {
        let size = 1 << 40
        var bytes = SparseBytes(length: size)
        bytes.write([1, 2, 3, 4], at: 10)
        bytes.write([5, 6, 7, 8], at: size - 4)
        bytes.clear(12..<(size - 2))
        #expect(bytes.read(8..<16) == [0, 0, 1, 2, 0, 0, 0, 0])
        #expect(bytes.read((size - 8)..<size) == [0, 0, 0, 0, 0, 0, 7, 8])
        #expect(bytes.length == size)
        bytes.clear(0..<size)
        #expect(bytes == SparseBytes(length: size))
    }

    @Test func savedFormRoundTripsAndIsCompact() throws {
        var bytes = SparseBytes(length: 4 * Self.chunk)
        bytes.write([7, 7, 7], at: Self.chunk + 10)
        let encoded = try JSONEncoder().encode(bytes)
        #expect(encoded.count < 200)
        let decoded = try JSONDecoder().decode(SparseBytes.self, from: encoded)
        #expect(decoded == bytes)
    }
}
