import Foundation

/// The Blob service behind the HTTP server: authorizes a request, runs its operation on the store, and
/// shapes Azure's answer (common headers, XML errors).
final class BlobService: Sendable {
    let store: BlobStore
    let authorizer: RequestAuthorizer
    let snapshotLimit: Int
    let snapshotMinimumTicks: Int64?

    init(store: BlobStore, configuration: EmulatorConfiguration) {
        self.store = store
        authorizer = RequestAuthorizer(accounts: configuration.accounts)
        snapshotLimit = configuration.snapshotLimit
        snapshotMinimumTicks = configuration.snapshotMinimumInterval.map { Int64($0 * 10_000_000) }
    }

    /// Serves one request; never throws: failures become Azure error answers.
    func handle(_ request: ServiceRequest, operation: BlobOperation?) -> ServiceResponse {
        answer(request) { ticks, version throws(ServiceError) in
            guard let operation else {
                throw ServiceError(
                    status: 400, code: "UnsupportedHttpVerb",
                    message: "The resource doesn't support the specified HTTP verb or query (\(request.method)).")
            }
            let now = Date(timeIntervalSince1970: Double(ticks) / 10_000_000)
            version = try authorizer.authorize(request, operation: operation, now: now)
            return try perform(operation, OperationContext(request: request, version: version, ticks: ticks))
        }
    }

    /// The refusal of a request that fails authorization, judged on its head alone (neither SAS nor Shared Key
    /// signs the body); nil when it is authorized.
    func refusal(_ request: ServiceRequest, operation: BlobOperation) -> ServiceResponse? {
        do throws(ServiceError) {
            _ = try authorizer.authorize(request, operation: operation, now: Date())
            return nil
        } catch {
            return inject(error, for: request)
        }
    }

    /// Answers with an injected error, as Azure would send it.
    func inject(_ error: ServiceError, for request: ServiceRequest) -> ServiceResponse {
        answer(request) { _, _ throws(ServiceError) in throw error }
    }

    /// Runs `body` (given the time in 100 ns ticks and the API version, which it may change) and adds the headers
    /// every answer carries: request id, version, date and the client's request id.
    private func answer(
        _ request: ServiceRequest,
        _ body: (_ ticks: Int64, _ version: inout String) throws(ServiceError) -> ServiceResponse
    ) -> ServiceResponse {
        let requestID = RequestID.next()
        let ticks = Timestamps.nowTicks()
        let date = Timestamps.httpDate(ticks / 10_000_000)
        var version = request.header("x-ms-version") ?? RequestAuthorizer.defaultVersion
        var response: ServiceResponse
        do throws(ServiceError) {
            response = try body(ticks, &version)
        } catch {
            response = errorResponse(error, request: request, requestID: requestID, date: date)
        }
        response.headers += [("x-ms-request-id", requestID), ("x-ms-version", version), ("Date", date)]
        if let clientID = request.header("x-ms-client-request-id") {
            response.headers.append(("x-ms-client-request-id", clientID))
        }
        return response
    }

    /// The answer for an error: XML body (none on HEAD) and `x-ms-error-code`.
    private func errorResponse(_ error: ServiceError, request: ServiceRequest, requestID: String, date: String)
        -> ServiceResponse
    {
        let body = request.method == "HEAD" ? [] : Array(error.xml(requestID: requestID, time: date).utf8)
        return ServiceResponse(
            status: error.status,
            headers: [("x-ms-error-code", error.code), ("Content-Type", "application/xml")] + error.extraHeaders,
            body: body, errorCode: error.code)
    }

    private func perform(_ operation: BlobOperation, _ context: OperationContext) throws(ServiceError)
        -> ServiceResponse
    {
        switch operation {
        case .createContainer: try createContainer(context)
        case .deleteContainer: try deleteContainer(context)
        case .getContainerProperties: try getContainerProperties(context)
        case .listBlobs: try listBlobs(context)
        case .putBlob: try putBlob(context)
        case .getBlob: try getBlob(context, headOnly: false)
        case .getProperties: try getBlob(context, headOnly: true)
        case .getMetadata: try getMetadata(context)
        case .setMetadata: try setMetadata(context)
        case .setProperties: try setProperties(context)
        case .snapshot: try snapshot(context)
        case .putPage: try putPage(context)
        case .putBlock: try putBlock(context)
        case .putBlockList: try putBlockList(context)
        case .appendBlock: try appendBlock(context)
        case .deleteBlob: try deleteBlob(context)
        case .presnapshot, .dosnapshot:
            throw ServiceError(
                status: 400, code: "UnsupportedHttpVerb", message: "Host calls are served by the WireServer path.")
        }
    }
}

/// What every operation needs: the request, the API version it runs under and the current time.
struct OperationContext {
    let request: ServiceRequest
    let version: String
    /// 100 ns ticks since 1970.
    let ticks: Int64

    var seconds: Int64 { ticks / 10_000_000 }
    var account: String { request.account }
    /// The container name (classification guarantees one).
    var container: String { request.container ?? "" }
    /// The blob name (classification guarantees one for blob operations).
    var blob: String { request.blob ?? "" }
}

extension StoreState {
    /// Runs `body` on an existing container; 404 ContainerNotFound otherwise.
    mutating func withContainer<T>(
        _ context: OperationContext, _ body: (inout StoredContainer) throws(ServiceError) -> T
    ) throws(ServiceError) -> T {
        guard accounts[context.account]?[context.container] != nil else { throw .containerNotFound() }
        return try body(&accounts[context.account]![context.container]!)
    }

    /// Runs `body` on an existing blob; 404 ContainerNotFound / BlobNotFound otherwise.
    mutating func withBlob<T>(_ context: OperationContext, _ body: (inout StoredBlob) throws(ServiceError) -> T)
        throws(ServiceError) -> T
    {
        try withContainer(context) { (container: inout StoredContainer) throws(ServiceError) -> T in
            guard container.blobs[context.blob] != nil else { throw .blobNotFound() }
            return try body(&container.blobs[context.blob]!)
        }
    }
}

extension BlobVersion {
    /// `ETag` and `Last-Modified`.
    var validators: [(String, String)] { [("ETag", etag), ("Last-Modified", Timestamps.httpDate(lastModified))] }

    /// `x-ms-meta-NAME: VALUE` headers.
    var metadataHeaders: [(String, String)] { metadata.map { ("x-ms-meta-\($0.name)", $0.value) } }
}
