import CVMSnapOpenSSL
import Foundation
import Synchronization

/// A storage account key, decoded once, that signs strings the way Azure does.
struct AccountKey: Sendable {
    let bytes: [UInt8]
    /// Recent signatures by string-to-sign: the same SAS arrives again and again (bounded, cleared when full).
    private let recent = SignatureCache()

    /// Decodes a base64 account key; nil when it is not base64.
    init?(base64: String) {
        guard let data = Data(base64Encoded: base64), !data.isEmpty else { return nil }
        bytes = [UInt8](data)
    }

    /// `base64(HMAC-SHA256(key, utf8(text)))`, remembered for recently seen texts.
    func sign(_ text: String) -> String {
        if let known = recent.lookup(text) { return known }
        let signature = computeSignature(text)
        recent.store(text, signature)
        return signature
    }

    private func computeSignature(_ text: String) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let message = Array(text.utf8)
        bytes.withUnsafeBufferPointer { key in
            message.withUnsafeBufferPointer { data in
                _ = HMAC(
                    EVP_sha256(), key.baseAddress, Int32(key.count), data.baseAddress, data.count, &digest, &length)
            }
        }
        return Data(digest[0..<Int(length)]).base64EncodedString()
    }
}

/// A small bounded map from string-to-sign to signature.
private final class SignatureCache: Sendable {
    private static let capacity = 4096
    private let entries = Mutex<[String: String]>([:])

    func lookup(_ text: String) -> String? { entries.withLock { $0[text] } }

    func store(_ text: String, _ signature: String) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[text] = signature
        }
    }
}
