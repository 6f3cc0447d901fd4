import Basics
import CVMSnapCurl
import Foundation
import Synchronization

/// One OpenSSL certificate store per set of trust anchors, loaded once per process and shared by every TLS
/// connection of every blob client (each connection's SSL_CTX takes a reference instead of re-reading the CA file).
public final class TrustStore: @unchecked Sendable {
    /// The `X509_STORE *`; OpenSSL locks it internally, so connections on any thread may verify against it.
    let store: OpaquePointer
    public let anchors: TrustAnchors
    /// Certificates parsed when loading (a directory's certificates are read later, as verification needs them).
    public let certificatesLoaded: Int
    /// How long loading took.
    public let loadTime: Duration

    private init(store: OpaquePointer, anchors: TrustAnchors, certificatesLoaded: Int, loadTime: Duration) {
        self.store = store
        self.anchors = anchors
        self.certificatesLoaded = certificatesLoaded
        self.loadTime = loadTime
    }

    deinit { X509_STORE_free(store) }

    /// The files a store is made of: the cache key (who chose them does not matter).
    private struct Paths: Hashable {
        var bundle: String?
        var directory: String?
    }

    private struct Registry {
        var stores: [Paths: TrustStore] = [:]
        var loads: [Paths: Int] = [:]
    }

    private static let registry = Mutex(Registry())

    /// Whether libcurl verifies with the same OpenSSL this process links (else it is given the files instead).
    public static let libcurlUsesOpenSSL: Bool = {
        guard let version = vmsnap_curl_ssl_version() else { return false }
        return String(cString: version).hasPrefix("OpenSSL/")
    }()

    /// The process's store for `anchors`, loading it on first use.
    public static func shared(_ anchors: TrustAnchors) throws(TrustStoreError) -> TrustStore {
        let paths = Paths(bundle: anchors.bundle, directory: anchors.directory)
        // Loading under the lock: a second caller waits for the first load instead of parsing the file again.
        return try registry.withLock { registry throws(TrustStoreError) -> TrustStore in
            if let store = registry.stores[paths] { return store }
            let store = try load(anchors)
            registry.stores[paths] = store
            registry.loads[paths, default: 0] += 1
            return store
        }
    }

    /// How many times this process loaded a store from these files (1 after any number of connections).
    public static func loadCount(bundle: String?, directory: String? = nil) -> Int {
        registry.withLock { $0.loads[Paths(bundle: bundle, directory: directory)] ?? 0 }
    }

    /// Checks, without parsing it, that `path` is a readable file with a PEM certificate in it; the error names the
    /// file and who chose it.
    public static func validateBundle(_ path: String, origin: String) throws(TrustStoreError) {
        try CABundleFile.validate(path, origin: origin)
    }

    private static func load(_ anchors: TrustAnchors) throws(TrustStoreError) -> TrustStore {
        let started = ContinuousClock.now
        guard let store = X509_STORE_new() else {
            throw TrustStoreError(path: anchors.bundle ?? "", origin: anchors.origin, reason: "out of memory")
        }
        var loaded = 0
        do throws(TrustStoreError) {
            if let bundle = anchors.bundle { loaded = try loadBundle(bundle, into: store, origin: anchors.origin) }
            if let directory = anchors.directory {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
                    isDirectory.boolValue
                else {
                    throw TrustStoreError(path: directory, origin: anchors.origin, reason: "is not a directory")
                }
                guard X509_STORE_load_path(store, directory) == 1 else {
                    throw TrustStoreError(path: directory, origin: anchors.origin, reason: openSSLReason())
                }
            }
        } catch {
            X509_STORE_free(store)
            throw error
        }
        return TrustStore(
            store: store, anchors: anchors, certificatesLoaded: loaded, loadTime: ContinuousClock.now - started)
    }

    /// Parses every certificate of a PEM file into `store`; returns how many there were.
    private static func loadBundle(_ path: String, into store: OpaquePointer, origin: String) throws(TrustStoreError)
        -> Int
    {
        try CABundleFile.checkReadable(path, origin: origin)
        ERR_clear_error()
        guard X509_STORE_load_file(store, path) == 1 else {
            throw TrustStoreError(
                path: path, origin: origin, reason: "holds no PEM certificate (\(openSSLReason()))")
        }
        return Int(OPENSSL_sk_num(X509_STORE_get0_objects(store)))
    }

    private static func openSSLReason() -> String {
        let code = ERR_peek_last_error()
        ERR_clear_error()
        guard code != 0, let reason = ERR_reason_error_string(code) else { return "OpenSSL gave no reason" }
        return String(cString: reason)
    }
}
