import CVMSnapOpenSSL
import Foundation

/// A throw-away self-signed certificate (ECDSA P-256, valid one day) and its key, in PEM, for the emulator's https
/// endpoint. Clients trust it by using the certificate itself as their CA bundle.
public struct EmulatorCertificate: Sendable, Equatable {
    /// The certificate in PEM: the CA bundle a client trusts.
    public let certificatePEM: String
    /// The private key in PEM (PKCS#8). Throw-away, but still never printed.
    let privateKeyPEM: String
    /// The names it is issued for (`IP:127.0.0.1`, `DNS:localhost`...).
    public let subjectAlternativeNames: [String]

    /// Makes a new key and certificate for the loopback names (127.0.0.1, ::1, localhost) and `hosts`.
    public static func generate(hosts: [String] = []) throws(EmulatorCertificateError) -> EmulatorCertificate {
        var names = ["IP:127.0.0.1", "IP:::1", "DNS:localhost"]
        for host in hosts where !["0.0.0.0", "::", ""].contains(host) {
            let name = isIPAddress(host) ? "IP:\(host)" : "DNS:\(host)"
            if !names.contains(name) { names.append(name) }
        }
        guard let key = makeKey() else { throw .failed("cannot make an EC P-256 key: \(openSSLReason())") }
        defer { EVP_PKEY_free(key) }
        guard let certificate = X509_new() else { throw .failed("out of memory") }
        defer { X509_free(certificate) }
        var ok = X509_set_version(certificate, 2) == 1  // v3
        var serial = [UInt8](repeating: 0, count: 16)
        for index in serial.indices { serial[index] = UInt8.random(in: 0...255) }
        serial[0] &= 0x7F
        if let number = BN_bin2bn(serial, Int32(serial.count), nil) {
            ok = ok && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) != nil
            BN_free(number)
        } else {
            ok = false
        }
        ok = ok && X509_gmtime_adj(X509_getm_notBefore(certificate), -3600) != nil
        ok = ok && X509_gmtime_adj(X509_getm_notAfter(certificate), 24 * 3600) != nil
        ok = ok && X509_set_pubkey(certificate, key) == 1
        if let name = X509_get_subject_name(certificate) {
            let commonName = Array("vmsnap emulator".utf8)
            ok =
                ok
                && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, Int32(commonName.count), -1, 0)
                    == 1
            ok = ok && X509_set_issuer_name(certificate, name) == 1
        } else {
            ok = false
        }
        ok = ok && addExtension(certificate, NID_subject_alt_name, names.joined(separator: ","))
        ok = ok && addExtension(certificate, NID_basic_constraints, "critical,CA:TRUE")
        ok = ok && X509_sign(certificate, key, EVP_sha256()) > 0
        guard ok else { throw .failed("cannot make the certificate: \(openSSLReason())") }
        guard let certificatePEM = pem({ PEM_write_bio_X509($0, certificate) }),
            let keyPEM = pem({ PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) })
        else { throw .failed("cannot write PEM: \(openSSLReason())") }
        return EmulatorCertificate(
            certificatePEM: certificatePEM, privateKeyPEM: keyPEM, subjectAlternativeNames: names)
    }

    /// Writes the certificate (not the key) to `path`, for clients' CA bundles.
    public func writeCertificate(to path: String) throws(EmulatorCertificateError) {
        do {
            try Data(certificatePEM.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .unwritable(path: path, reason: error.localizedDescription)
        }
    }

    private static func makeKey() -> OpaquePointer? {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1,
            EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, NID_X9_62_prime256v1) == 1,
            EVP_PKEY_keygen(context, &key) == 1
        else { return nil }
        return key
    }

    private static func addExtension(_ certificate: OpaquePointer, _ nid: Int32, _ value: String) -> Bool {
        guard let ext = X509V3_EXT_conf_nid(nil, nil, nid, value) else { return false }
        defer { X509_EXTENSION_free(ext) }
        return X509_add_ext(certificate, ext, -1) == 1
    }

    /// What `write` puts into a memory BIO, as text.
    private static func pem(_ write: (OpaquePointer) -> Int32) -> String? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(BIO_ctrl_pending(bio)))
        guard BIO_read(bio, &bytes, Int32(bytes.count)) == Int32(bytes.count) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    private static func openSSLReason() -> String {
        let code = ERR_get_error()
        guard code != 0, let reason = ERR_reason_error_string(code) else { return "no reason given" }
        return String(cString: reason)
    }
}

/// Why the emulator's certificate could not be made or written.
public enum EmulatorCertificateError: Error, Sendable, Equatable, CustomStringConvertible {
    case failed(String)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .failed(let reason): "TLS certificate: \(reason)"
        case .unwritable(let path, let reason): "\(path): cannot write the certificate: \(reason)"
        }
    }
}
