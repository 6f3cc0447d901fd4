import Basics
import CVMSnapCurl
import Foundation
import Synchronization

/// Asynchronous Azure Blob Storage client over libcurl: one multi handle on its own thread, connections kept
/// alive and reused per host, HTTP/2 when offered, TLS verified against one certificate store per process (loaded
/// while the client starts, shared by every connection), TLS sessions resumed, SAS queries sent byte-for-byte.
public final class BlobClient: Sendable {
    /// Timeouts, identity and proxy of a client.
    public struct Configuration: Sendable {
        /// Limit for TCP connect plus TLS handshake.
        public var connectTimeout: Duration
        /// Limit for a whole request when the caller gives none.
        public var requestTimeout: Duration
        public var userAgent: String
        public var proxy: ProxySettings
        /// What TLS peers are verified against (a CA bundle, the environment's or libcurl's default).
        public var trustAnchors: TrustAnchors
        /// Connections open at once, in total (also the idle ones kept for reuse); requests beyond wait their turn.
        public var maximumConnections: Int
        /// Connections open at once to one host.
        public var maximumConnectionsPerHost: Int

        public init(
            connectTimeout: Duration = .seconds(10), requestTimeout: Duration = .seconds(30),
            userAgent: String = BlobClient.defaultUserAgent, proxy: ProxySettings = .discover(),
            caBundle: String? = nil, trustAnchors: TrustAnchors? = nil,
            connections: ConnectionBudget = .fromDescriptorLimit()
        ) {
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.userAgent = userAgent
            self.proxy = proxy
            // An explicit bundle wins over the environment (CURL_CA_BUNDLE, SSL_CERT_FILE...), as with curl.
            self.trustAnchors = trustAnchors ?? TrustAnchors.resolve(explicit: caBundle)
            maximumConnections = connections.total
            maximumConnectionsPerHost = connections.perHost
        }
    }

    /// `vmsnap/<version> libcurl/<version>`.
    public static let defaultUserAgent: String = {
        let curl = String(cString: curl_version()).split(separator: " ").first.map(String.init) ?? "libcurl"
        return "vmsnap/\(ExtensionIdentity.version) \(curl)"
    }()

    public let configuration: Configuration
    private let loop: CurlEventLoop
    /// The process's certificate store for `configuration.trustAnchors`, loading from the moment the client
    /// starts (once per process: later clients find it loaded); nil when libcurl is not built on OpenSSL.
    private let trust = Mutex<Task<Result<TrustStore, TrustStoreError>, Never>?>(nil)
    /// Document targets (status and log blobs) already looked at: blob URI -> whether it is a page blob.
    let documentTargets = Mutex<[String: Bool]>([:])

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        loop = CurlEventLoop(configuration: configuration)
    }

    /// Requests sent so far and the connections they opened, with libcurl's timings.
    public var statistics: BlobClientStatistics { loop.statistics.withLock { $0 } }

    /// The certificate store TLS connections verify against (waits for it to load); nil when libcurl is given the
    /// CA files instead.
    public func trustStore() async throws(TrustStoreError) -> TrustStore? {
        guard TrustStore.libcurlUsesOpenSSL else { return nil }
        // Loaded on the first https request, not when the client is made: a process that ends without a request
        // (refused settings) must not exit while a loading task still uses OpenSSL (it crashed in exit handlers).
        let anchors = configuration.trustAnchors
        let task = trust.withLock { task in
            if let task { return task }
            let loading = Task.detached { () -> Result<TrustStore, TrustStoreError> in
                do throws(TrustStoreError) {
                    return .success(try TrustStore.shared(anchors))
                } catch {
                    return .failure(error)
                }
            }
            task = loading
            return loading
        }
        return try await task.value.get()
    }

    deinit { loop.stop() }

    /// Snapshot Blob: `PUT <blob>?<sas>&comp=snapshot` with an `x-ms-meta-<Key>` header per metadata entry.
    public func snapshot(
        _ uri: SASBlobURI, metadata: [MetadataEntry], timeout: Duration? = nil
    ) async throws(BlobTransportError) -> BlobResponse {
        let headers = metadata.map { "x-ms-meta-\($0.key): \($0.value)" }
        return try await perform(
            BlobRequest(
                method: .put, url: uri.requestURI(appending: "comp=snapshot"), headers: headers, body: Data(),
                timeout: timeout ?? configuration.requestTimeout))
    }

    /// Put Blob as a BlockBlob: the whole blob rewritten with `body`.
    public func putBlockBlob(
        _ uri: SASBlobURI, body: Data, contentType: String, timeout: Duration? = nil
    ) async throws(BlobTransportError) -> BlobResponse {
        try await perform(
            BlobRequest(
                method: .put, url: uri.requestURI(),
                headers: ["x-ms-blob-type: BlockBlob", "Content-Type: \(contentType)"],
                body: body, timeout: timeout ?? configuration.requestTimeout))
    }

    /// Get Blob Metadata: `GET <blob>?<sas>&comp=metadata` (x-ms-version 2018-03-28); the metadata come as
    /// `x-ms-meta-*` headers of the answer.
    public func metadata(_ uri: SASBlobURI, timeout: Duration) async throws(BlobTransportError) -> BlobResponse {
        try await perform(
            BlobRequest(
                method: .get, url: uri.requestURI(appending: "comp=metadata"), headers: ["x-ms-version: 2018-03-28"],
                body: Data(), timeout: timeout))
    }

    /// Get Blob, conditional on `ifNoneMatch` (an ETag from an earlier answer): 304 when unchanged.
    public func get(
        _ uri: SASBlobURI, ifNoneMatch: String? = nil, timeout: Duration? = nil
    ) async throws(BlobTransportError) -> BlobResponse {
        try await perform(
            BlobRequest(
                method: .get, url: uri.requestURI(), headers: ifNoneMatch.map { ["If-None-Match: \($0)"] } ?? [],
                body: Data(), timeout: timeout ?? configuration.requestTimeout))
    }

    /// Opens (and TLS-handshakes) connections ahead of time, as many as will be used at once, so that every
    /// request of a job finds a warm one: `uris` are requested concurrently later (the disks), `alsoReaching` one
    /// at a time (status and log blobs). Over TLS one connection per host first; when that host answers over HTTP/2
    /// it carries every request at once, otherwise (HTTP/1.1, always without TLS) one connection per URI of
    /// `uris` on that host, the others resuming the first one's TLS session. A host only in `alsoReaching` gets one.
    /// Each connection costs one unauthenticated HEAD of a blob path (no SAS leaves the machine); whatever the
    /// answer, the connection stays in the multi handle's cache. `timeout` (default: the connect timeout) bounds
    /// each of these requests. Returns the hosts that could not be reached.
    @discardableResult
    public func preconnect(
        _ uris: [SASBlobURI], alsoReaching others: [SASBlobURI] = [], timeout: Duration? = nil
    ) async -> [String: BlobTransportError] {
        let timeout = timeout ?? configuration.connectTimeout
        var hosts = Dictionary(grouping: uris, by: \.origin)
        for uri in others where hosts[uri.origin] == nil { hosts[uri.origin] = [uri] }
        return await withTaskGroup(of: (String, BlobTransportError?).self) { group in
            for (origin, uris) in hosts {
                group.addTask { (origin, await self.preconnect(host: uris, timeout: timeout)) }
            }
            var failures: [String: BlobTransportError] = [:]
            for await (origin, error) in group { if let error { failures[origin] = error } }
            return failures
        }
    }

    /// Pre-connects one host (`uris` share an origin). Over TLS the first connection tells whether more are needed;
    /// without TLS libcurl speaks HTTP/1.1 (HTTP/2 is only asked for over TLS), so all are opened at once.
    private func preconnect(host uris: [SASBlobURI], timeout: Duration) async -> BlobTransportError? {
        // No more connections than the client may hold to one host: the others would only wait for a free one.
        var pending = uris.prefix(configuration.maximumConnectionsPerHost)
        if uris[0].scheme == "https" {
            do throws(BlobTransportError) {
                let first = try await connect(to: uris[0], timeout: timeout)
                if first.isMultiplexed { return nil }
            } catch {
                return error
            }
            pending = pending.dropFirst()
        }
        return await withTaskGroup(of: BlobTransportError?.self) { group in
            for uri in pending {
                group.addTask {
                    do throws(BlobTransportError) {
                        _ = try await self.connect(to: uri, timeout: timeout)
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            var failure: BlobTransportError?
            for await error in group where error != nil { failure = error }
            return failure
        }
    }

    /// A HEAD of `uri`'s blob path (without the SAS) on a new connection.
    private func connect(to uri: SASBlobURI, timeout: Duration) async throws(BlobTransportError) -> BlobResponse {
        try await perform(
            BlobRequest(
                method: .head, url: uri.unsignedRequestURI, headers: [], body: Data(), timeout: timeout,
                freshConnection: true))
    }

    func perform(_ request: BlobRequest) async throws(BlobTransportError) -> BlobResponse {
        var store: TrustStore?
        if request.url.lowercased().hasPrefix("https:") {
            do throws(TrustStoreError) {
                store = try await trustStore()
            } catch {
                throw BlobTransportError(
                    kind: .client, curlCode: Int(CURLE_SSL_CACERT_BADFILE.rawValue), message: error.description,
                    clientRequestID: "none")
            }
        }
        let transfer = CurlTransfer(request, trust: store)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            transfer.cancel()
            loop.wakeUp()
        }
        return try result.get()
    }
}
