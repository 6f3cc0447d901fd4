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
    }

    var method: Method
    var url: String
    /// Extra header lines (`Name: value`).
    var headers: [String]
    /// Request body for PUT (empty: `Content-Length: 0`).
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
    let clientRequestID = UUID().uuidString.lowercased()
    var continuation: CheckedContinuation<Result<BlobResponse, BlobTransportError>, Never>?

    private let cancelRequested = Atomic<Bool>(false)
    private(set) var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var responseHeaders: [String: String] = [:]
    private var responseBody = Data()
    private var uploadOffset = 0
    private var started = ContinuousClock.now
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init(_ request: BlobRequest) {
        self.request = request
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

    /// Creates and configures the easy handle; nil when libcurl refuses.
    func makeEasyHandle(_ configuration: BlobClient.Configuration) -> UnsafeMutableRawPointer? {
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
        if let caBundle = configuration.caBundle { set(CURLOPT_CAINFO, caBundle) }
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

    /// Turns libcurl's verdict into the result and resumes the waiting caller (event-loop thread).
    func complete(curlResult: CURLcode) {
        let latency = ContinuousClock.now - started
        if curlResult == CURLE_OK, let easy {
            var status = 0
            var connections = 0
            var version = 0
            _ = vmsnap_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            _ = vmsnap_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connections)
            _ = vmsnap_easy_getinfo_long(easy, CURLINFO_HTTP_VERSION, &version)
            finish(
                .success(
                    BlobResponse(
                        status: status, headers: responseHeaders, body: responseBody,
                        clientRequestID: clientRequestID, latency: latency, connectionsOpened: connections,
                        httpVersion: Self.httpVersion(version))))
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
        finish(
            .failure(
                BlobTransportError(
                    kind: kind, curlCode: Int(curlResult.rawValue),
                    message: detail.isEmpty ? summary : "\(summary): \(detail)", clientRequestID: clientRequestID)))
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
