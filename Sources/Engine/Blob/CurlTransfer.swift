import Basics
import CVMSnapCurl
import Foundation
import Synchronization

/// One HTTP request as the blob client hands it to libcurl. `url` carries the SAS: never print it.
struct BlobRequest: Sendable {
    enum Method: String, Sendable {
        case get = "GET"
        case put = "PUT"
        case head = "HEAD"
        case post = "POST"
    }

    var method: Method
    var url: String
    /// Extra header lines (`Name: value`).
    var headers: [String]
    /// Request body for PUT and POST (empty: `Content-Length: 0`).
    var body: Data
    var timeout: Duration
    /// Open a new connection even when the cache has an idle one (it joins the cache afterwards).
    var freshConnection = false
}

/// A request in flight on the event loop: its easy handle and what has arrived so far.
///
/// After `submit`, everything but `cancel()` is touched only by the event-loop thread.
final class CurlTransfer: @unchecked Sendable {
    let request: BlobRequest
    /// The process's certificate store for the client's trust anchors (nil: libcurl is given the files).
    let trust: TrustStore?
    let clientRequestID = UUID().uuidString.lowercased()
    var continuation: CheckedContinuation<Result<BlobResponse, BlobTransportError>, Never>?

    private let cancelRequested = Atomic<Bool>(false)
    /// What the peer's certificate is checked against, for error messages.
    private var trustAnchors: TrustAnchors?
    private(set) var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var responseHeaders: [String: String] = [:]
    private var responseBody = Data()
    private var uploadOffset = 0
    private var started = ContinuousClock.now
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// Whether the TLS handshake resumed a session, read when the answer's status line arrives (nil: no TLS).
    private var tlsSessionResumed: Bool?

    init(_ request: BlobRequest, trust: TrustStore?) {
        self.request = request
        self.trust = trust
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        release()
        errorBuffer.deallocate()
    }

    var isCancelled: Bool { cancelRequested.load(ordering: .acquiring) }

    /// Asks the event loop to abandon this transfer (from any thread).
    func cancel() { cancelRequested.store(true, ordering: .releasing) }

    /// Creates and configures the easy handle (sharing TLS sessions and DNS answers through `share`); nil when
    /// libcurl refuses.
    func makeEasyHandle(_ configuration: BlobClient.Configuration, share: UnsafeMutableRawPointer?)
        -> UnsafeMutableRawPointer?
    {
        guard let easy = curl_easy_init() else { return nil }
        self.easy = easy
        let me = Unmanaged.passUnretained(self).toOpaque()
        var ok = true
        func set(_ option: CURLoption, _ value: Int) {
            ok = ok && vmsnap_easy_setopt_long(easy, option, value) == CURLE_OK
        }
        func set(_ option: CURLoption, _ value: String) {
            ok = ok && vmsnap_easy_setopt_string(easy, option, value) == CURLE_OK
        }
        trustAnchors = configuration.trustAnchors
        set(CURLOPT_URL, request.url)
        set(CURLOPT_PATH_AS_IS, 1)
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        set(CURLOPT_PIPEWAIT, 1)
        set(CURLOPT_SSL_VERIFYPEER, 1)
        set(CURLOPT_SSL_VERIFYHOST, 2)
        set(CURLOPT_TCP_KEEPALIVE, 1)
        set(CURLOPT_FOLLOWLOCATION, 0)
        if request.freshConnection { set(CURLOPT_FRESH_CONNECT, 1) }
        set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout))
        set(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout))
        set(CURLOPT_USERAGENT, configuration.userAgent)
        set(CURLOPT_NOPROXY, configuration.proxy.noProxy)
        if let proxy = configuration.proxy.proxy { set(CURLOPT_PROXY, proxy) }
        if let trust {
            ok = ok && vmsnap_easy_use_x509_store(easy, UnsafeMutableRawPointer(trust.store)) == CURLE_OK
        } else {
            // libcurl on another TLS library: it loads the files itself (once per multi handle, in its CA cache).
            let anchors = configuration.trustAnchors
            if let bundle = anchors.bundle { set(CURLOPT_CAINFO, bundle) }
            if let directory = anchors.directory { set(CURLOPT_CAPATH, directory) }
        }
        if let share { ok = ok && vmsnap_easy_setopt_pointer(easy, CURLOPT_SHARE, share) == CURLE_OK }
        switch request.method {
        case .get: set(CURLOPT_HTTPGET, 1)
        case .head: set(CURLOPT_NOBODY, 1)
        case .put:
            set(CURLOPT_UPLOAD, 1)
            ok =
                ok
                && vmsnap_easy_setopt_offset(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.count)) == CURLE_OK
            ok = ok && vmsnap_easy_setopt_data_cb(easy, CURLOPT_READFUNCTION, Self.readCallback) == CURLE_OK
            ok = ok && vmsnap_easy_setopt_pointer(easy, CURLOPT_READDATA, me) == CURLE_OK
        case .post:
            set(CURLOPT_POST, 1)
            ok =
                ok
                && vmsnap_easy_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
                    == CURLE_OK
            ok = ok && vmsnap_easy_setopt_data_cb(easy, CURLOPT_READFUNCTION, Self.readCallback) == CURLE_OK
            ok = ok && vmsnap_easy_setopt_pointer(easy, CURLOPT_READDATA, me) == CURLE_OK
        }
        for line in request.headers + ["x-ms-client-request-id: \(clientRequestID)", "Expect:"] {
            headerList = curl_slist_append(headerList, line)
        }
        ok = ok && vmsnap_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList) == CURLE_OK
        ok = ok && vmsnap_easy_setopt_data_cb(easy, CURLOPT_WRITEFUNCTION, Self.writeCallback) == CURLE_OK
        ok = ok && vmsnap_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me) == CURLE_OK
        ok = ok && vmsnap_easy_setopt_data_cb(easy, CURLOPT_HEADERFUNCTION, Self.headerCallback) == CURLE_OK
        ok = ok && vmsnap_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me) == CURLE_OK
        ok = ok && vmsnap_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer) == CURLE_OK
        started = .now
        guard ok else {
            release()
            return nil
        }
        return easy
    }

    /// Turns libcurl's verdict into the result, counts the request in `statistics` and resumes the waiting caller
    /// (event-loop thread).
    func complete(curlResult: CURLcode, statistics: borrowing Mutex<BlobClientStatistics>) {
        let latency = ContinuousClock.now - started
        var connections = 0
        var timing = TransferTiming()
        if let easy {
            _ = vmsnap_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connections)
            timing = Self.timing(easy)
            // A reused connection's TLS state tells about an earlier request's handshake, not this one's.
            if connections == 0 { tlsSessionResumed = nil }
            let connection = BlobClientStatistics.Connection(timing: timing, tlsSessionResumed: tlsSessionResumed)
            statistics.withLock { statistics in
                statistics.requests[request.method.rawValue, default: 0] += 1
                if connections > 0 { statistics.connections.append(connection) }
            }
        }
        if curlResult == CURLE_OK, let easy {
            var status = 0
            var version = 0
            _ = vmsnap_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            _ = vmsnap_easy_getinfo_long(easy, CURLINFO_HTTP_VERSION, &version)
            finish(
                .success(
                    BlobResponse(
                        status: status, headers: responseHeaders, body: responseBody,
                        clientRequestID: clientRequestID, latency: latency, connectionsOpened: connections,
                        httpVersion: Self.httpVersion(version), timing: timing,
                        tlsSessionResumed: tlsSessionResumed)))
            return
        }
        let detail = String(cString: errorBuffer)
        let summary = String(cString: curl_easy_strerror(curlResult))
        let kind: BlobTransportError.Kind =
            switch curlResult {
            case CURLE_OPERATION_TIMEDOUT: .timeout
            // A certificate that does not verify or a request libcurl cannot make will not improve with a retry.
            case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE,
                CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_OUT_OF_MEMORY:
                .client
            default: .network
            }
        var message = detail.isEmpty ? summary : "\(summary): \(detail)"
        if Self.tlsFailures.contains(curlResult) {
            // Which host, why, and against what: said once, in the error itself.
            message = "TLS with \(Self.origin(of: request.url)) failed: \(detail.isEmpty ? summary : detail)"
            if curlResult == CURLE_PEER_FAILED_VERIFICATION, let anchors = trustAnchors {
                message += " (verified against \(anchors))"
            }
        }
        finish(
            .failure(
                BlobTransportError(
                    kind: kind, curlCode: Int(curlResult.rawValue), message: message, clientRequestID: clientRequestID))
        )
    }

    /// libcurl's results that mean the TLS handshake or the certificate check failed.
    private static let tlsFailures: Set<CURLcode> = [
        CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE,
        CURLE_SSL_ISSUER_ERROR, CURLE_SSL_INVALIDCERTSTATUS,
    ]

    /// `scheme://host:port` of a request URL (no path, no query: never a SAS).
    private static func origin(of url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return "the server" }
        let rest = url[schemeEnd.upperBound...]
        return String(url[..<(rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? url.endIndex)])
    }

    /// Ends the transfer without an answer (cancelled or shut down).
    func abandon(_ kind: BlobTransportError.Kind, _ message: String) {
        finish(
            .failure(BlobTransportError(kind: kind, curlCode: 0, message: message, clientRequestID: clientRequestID)))
    }

    private func finish(_ result: Result<BlobResponse, BlobTransportError>) {
        release()
        continuation?.resume(returning: result)
        continuation = nil
    }

    private func release() {
        if let easy { curl_easy_cleanup(easy) }
        easy = nil
        curl_slist_free_all(headerList)
        headerList = nil
    }

    /// libcurl's timing info for the transfer.
    private static func timing(_ easy: UnsafeMutableRawPointer) -> TransferTiming {
        func mark(_ info: CURLINFO) -> Int64 {
            var value: curl_off_t = 0
            _ = vmsnap_easy_getinfo_offset(easy, info, &value)
            return Int64(value)
        }
        return TransferTiming(
            nameLookup: mark(CURLINFO_NAMELOOKUP_TIME_T), connect: mark(CURLINFO_CONNECT_TIME_T),
            appConnect: mark(CURLINFO_APPCONNECT_TIME_T), preTransfer: mark(CURLINFO_PRETRANSFER_TIME_T),
            startTransfer: mark(CURLINFO_STARTTRANSFER_TIME_T), total: mark(CURLINFO_TOTAL_TIME_T))
    }

    /// `HTTP/1.1`, `HTTP/2`... for libcurl's `CURLINFO_HTTP_VERSION`.
    private static func httpVersion(_ version: Int) -> String {
        switch version {
        case Int(CURL_HTTP_VERSION_1_0): "HTTP/1.0"
        case Int(CURL_HTTP_VERSION_1_1): "HTTP/1.1"
        case Int(CURL_HTTP_VERSION_2_0): "HTTP/2"
        case Int(CURL_HTTP_VERSION_3): "HTTP/3"
        default: "HTTP (libcurl version \(version))"
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    private static func transfer(_ userdata: UnsafeMutableRawPointer?) -> CurlTransfer {
        Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
    }

    private static let writeCallback: vmsnap_curl_data_cb = { pointer, size, count, userdata in
        let bytes = size * count
        if let pointer {
            transfer(userdata).responseBody.append(
                UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: bytes)
        }
        return bytes
    }

    private static let readCallback: vmsnap_curl_data_cb = { pointer, size, count, userdata in
        let me = transfer(userdata)
        let chunk = min(size * count, me.request.body.count - me.uploadOffset)
        guard chunk > 0, let pointer else { return 0 }
        me.request.body.withUnsafeBytes { source in
            UnsafeMutableRawPointer(pointer).copyMemory(
                from: source.baseAddress!.advanced(by: me.uploadOffset), byteCount: chunk)
        }
        me.uploadOffset += chunk
        return chunk
    }

    private static let headerCallback: vmsnap_curl_data_cb = { pointer, size, count, userdata in
        let bytes = size * count
        guard let pointer else { return bytes }
        let line = UnsafeRawBufferPointer(start: pointer, count: bytes)
        let me = transfer(userdata)
        if line.starts(with: "HTTP/".utf8) {
            me.responseHeaders = [:]  // a new response (after 100 Continue or a proxy CONNECT)
            if me.tlsSessionResumed == nil, let easy = me.easy {
                let reused = vmsnap_easy_tls_session_reused(easy)
                if reused >= 0 { me.tlsSessionResumed = reused == 1 }
            }
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            me.responseHeaders[trimmed(line[..<colon], lowercased: true)] = trimmed(
                line[(colon + 1)...], lowercased: false)
        }
        return bytes
    }

    /// A header name or value without surrounding blanks and line ends (names lowercased).
    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>, lowercased: Bool) -> String {
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) })
        else { return "" }
        let core = bytes[first...last]
        guard lowercased else { return String(decoding: core, as: UTF8.self) }
        return String(decoding: core.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
