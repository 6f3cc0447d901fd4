/// A metadata entry, name as sent (without `x-ms-meta-`), value verbatim.
struct MetadataPair: Sendable, Equatable, Codable {
    var name: String
    var value: String
}

/// The three Azure blob types.
enum BlobType: String, Sendable, Codable {
    case block = "BlockBlob"
    case page = "PageBlob"
    case append = "AppendBlob"
}

/// A committed block of a block blob: its id and length (its bytes live in the blob's content).
struct CommittedBlock: Sendable, Equatable, Codable {
    var id: String
    var length: Int
}

/// The state of a blob or of one of its snapshots.
struct BlobVersion: Sendable, Codable {
    var type: BlobType
    var content: SparseBytes
    var metadata: [MetadataPair]
    var contentType: String
    var etag: String
    /// Seconds since 1970.
    var lastModified: Int64
    var created: Int64
    var committedBlocks: [CommittedBlock] = []
    var appendedBlocks = 0
}

/// A snapshot: its `x-ms-snapshot` time and the frozen state.
struct StoredSnapshot: Sendable, Codable {
    var time: String
    var version: BlobVersion
}

/// A blob, its snapshots (oldest first) and when the last one was taken.
struct StoredBlob: Sendable, Codable {
    var current: BlobVersion
    var snapshots: [StoredSnapshot] = []
    var lastSnapshotTicks: Int64?
}

/// A container: its blobs and the uncommitted blocks of block blobs being assembled.
struct StoredContainer: Sendable, Codable {
    var etag: String
    var lastModified: Int64
    var blobs: [String: StoredBlob] = [:]
    /// Blob name -> block id -> bytes.
    var uncommittedBlocks: [String: [String: [UInt8]]] = [:]
}

/// Everything the emulator stores: accounts -> containers, plus the counters that keep ETags and snapshot
/// times unique.
struct StoreState: Sendable, Codable {
    var accounts: [String: [String: StoredContainer]] = [:]
    var lastSnapshotTicks: Int64 = 0
    var etagCounter: UInt64 = 0

    /// A new ETag, unique for the life of the store.
    mutating func nextETag() -> String {
        etagCounter += 1
        return "\"0x8DE" + String(0x1_0000_0000_0000 + etagCounter, radix: 16, uppercase: true) + "\""
    }

}
