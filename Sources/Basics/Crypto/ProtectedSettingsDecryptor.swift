import CVMSnapOpenSSL
import Foundation

/// Decrypts `protectedSettings` (base64 of a DER CMS/PKCS#7 EnvelopedData) with the guest agent's certificate
/// `<directory>/<THUMBPRINT>.crt` and key `<directory>/<THUMBPRINT>.prv`, entirely in memory.
///
/// The certificate and key are PEM (possibly preceded by "Bag Attributes" lines; key in PKCS#8). The plaintext
/// only ever lives in memory BIOs and the returned `Data`; nothing is written to disk or logged.
public enum ProtectedSettingsDecryptor {
    /// Why decryption failed. Messages name files and OpenSSL reasons, never content.
    public enum Failure: Error, Sendable, Equatable {
        /// The `.crt` or `.prv` file is missing or unreadable (the extension reports code 16).
        case certificateNotFound(path: String)
        /// The certificate or key could not be read as PEM.
        case unreadableCertificate(path: String, reason: String)
        /// The certificate's SHA-1 fingerprint is not the thumbprint that named it.
        case thumbprintMismatch(expected: String, actual: String)
        /// The text is not base64.
        case notBase64
        /// The bytes are not a DER CMS structure, or it was not encrypted to this certificate.
        case decryptionFailed(reason: String)
    }

    /// The certificate and key paths for a thumbprint.
    public static func paths(thumbprint: String, directory: String) -> (certificate: String, key: String) {
        let base = (directory as NSString).appendingPathComponent(thumbprint.uppercased())
        return (base + ".crt", base + ".prv")
    }

    /// Decrypts base64 DER CMS to the plaintext bytes.
    public static func decrypt(base64: String, thumbprint: String, directory: String) throws(Failure) -> Data {
        guard let der = Base64.decode(base64) else { throw .notBase64 }
        let (certificatePath, keyPath) = paths(thumbprint: thumbprint, directory: directory)
        let certificatePEM = try readFile(certificatePath)
        let keyPEM = try readFile(keyPath)
        // The passphrase callbacks supply none: an encrypted key fails instead of OpenSSL prompting on the
        // terminal (the agent's keys are unencrypted PKCS#8).
        guard let certificate = withMemoryBIO(certificatePEM, { PEM_read_bio_X509($0, nil, { _, _, _, _ in 0 }, nil) })
        else {
            throw .unreadableCertificate(path: certificatePath, reason: openSSLReason())
        }
        defer { X509_free(certificate) }
        guard let key = withMemoryBIO(keyPEM, { PEM_read_bio_PrivateKey($0, nil, { _, _, _, _ in 0 }, nil) }) else {
            throw .unreadableCertificate(path: keyPath, reason: openSSLReason())
        }
        defer { EVP_PKEY_free(key) }

        let actual = fingerprint(certificate)
        let wanted = thumbprint.uppercased().filter { $0.isHexDigit }
        guard actual == wanted else { throw .thumbprintMismatch(expected: wanted, actual: actual) }

        guard let envelope = withMemoryBIO(der, { d2i_CMS_bio($0, nil) }) else {
            throw .decryptionFailed(reason: "not a DER CMS structure (\(openSSLReason()))")
        }
        defer { CMS_ContentInfo_free(envelope) }
        guard let output = BIO_new(BIO_s_mem()) else { throw .decryptionFailed(reason: "out of memory") }
        defer { BIO_free(output) }
        guard CMS_decrypt(envelope, key, certificate, nil, output, UInt32(CMS_BINARY)) == 1 else {
            throw .decryptionFailed(reason: openSSLReason())
        }
        return drain(output)
    }

    /// The uppercase hex SHA-1 fingerprint of a certificate (its thumbprint).
    static func fingerprint(_ certificate: OpaquePointer) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, EVP_sha1(), &digest, &length) == 1 else { return "" }
        return digest.prefix(Int(length)).map { String(format: "%02X", $0) }.joined()
    }

    private static func readFile(_ path: String) throws(Failure) -> Data {
        guard let data = FileManager.default.contents(atPath: path) else { throw .certificateNotFound(path: path) }
        return data
    }

    private static func withMemoryBIO<T>(_ data: Data, _ body: (OpaquePointer) -> T?) -> T? {
        data.withUnsafeBytes { buffer -> T? in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    private static func drain(_ bio: OpaquePointer) -> Data {
        var result = Data()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = BIO_read(bio, &chunk, Int32(chunk.count))
            if count <= 0 { break }
            result.append(contentsOf: chunk.prefix(Int(count)))
        }
        return result
    }

    private static func openSSLReason() -> String {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix(while: { $0 != 0 }).map(UInt8.init), as: UTF8.self))
        }
        return reasons.last ?? "unknown OpenSSL error"
    }
}
