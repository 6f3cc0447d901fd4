/// A Blob service operation the emulator recognises (used by fault rules, the journal and SAS checks), or one of
/// the two calls of the WireServer's backup host service it also plays (`presnapshot`, `dosnapshot`).
public enum BlobOperation: String, Sendable, Codable, CaseIterable {
    case createContainer
    case deleteContainer
    case getContainerProperties
    case listBlobs
    case putBlob
    case getBlob
    case getProperties
    case getMetadata
    case setMetadata
    case setProperties
    case snapshot
    case putPage
    case putBlock
    case putBlockList
    case appendBlock
    case deleteBlob
    case presnapshot
    case dosnapshot

    /// Whether the operation is a call of the host's backup service rather than of Blob Storage.
    public var isHostCall: Bool { self == .presnapshot || self == .dosnapshot }

    /// Whether the operation addresses a container rather than a blob.
    var isContainerOperation: Bool {
        switch self {
        case .createContainer, .deleteContainer, .getContainerProperties, .listBlobs: true
        default: false
        }
    }

    /// SAS permission letters of which at least one must be in `sp`.
    var acceptedPermissions: String {
        switch self {
        case .createContainer, .putBlob, .snapshot: "cw"
        case .getContainerProperties, .getBlob, .getProperties, .getMetadata: "r"
        case .setMetadata, .setProperties, .putPage, .putBlock, .putBlockList: "w"
        case .appendBlock: "aw"
        case .deleteContainer, .deleteBlob: "d"
        case .listBlobs: "l"
        case .presnapshot, .dosnapshot: ""
        }
    }

    /// Classifies a request by method and `restype` / `comp`; nil when the emulator does not serve it.
    static func classify(method: String, restype: String?, comp: String?, hasBlob: Bool) -> BlobOperation? {
        if !hasBlob {
            guard restype == "container" else { return nil }
            switch (method, comp) {
            case ("PUT", nil): return .createContainer
            case ("DELETE", nil): return .deleteContainer
            case ("GET", nil), ("HEAD", nil): return .getContainerProperties
            case ("GET", "list"): return .listBlobs
            default: return nil
            }
        }
        switch (method, comp) {
        case ("PUT", nil): return .putBlob
        case ("PUT", "snapshot"): return .snapshot
        case ("PUT", "metadata"): return .setMetadata
        case ("PUT", "properties"): return .setProperties
        case ("PUT", "page"): return .putPage
        case ("PUT", "block"): return .putBlock
        case ("PUT", "blocklist"): return .putBlockList
        case ("PUT", "appendblock"): return .appendBlock
        case ("GET", nil): return .getBlob
        case ("GET", "metadata"), ("HEAD", "metadata"): return .getMetadata
        case ("HEAD", nil): return .getProperties
        case ("DELETE", nil): return .deleteBlob
        default: return nil
        }
    }
}
