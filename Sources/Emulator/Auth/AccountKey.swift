import CVMSnapOpenSSL
import Foundation

/// A storage account key, decoded once, that signs strings the way Azure does.
struct AccountKey: Sendable {
    let bytes: [UInt8]

    /// Decodes a base64 account key; nil when it is not base64.
    init?(base64: String) {
        guard let data = Data(base64Encoded: base64), !data.isEmpty else { return nil }
        bytes = [UInt8](data)
    }

    /// `base64(HMAC-SHA256(key, utf8(text)))`.
    func sign(_ text: String) -> String {
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
