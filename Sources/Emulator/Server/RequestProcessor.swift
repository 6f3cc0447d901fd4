import Foundation
import NIOHTTP1

/// Turns a complete request into what the connection should do: answer (maybe late), reset, or stay silent.
/// Admin calls (`/_admin/...`) are served here; every Blob request is journaled.
final class RequestProcessor: Sendable {
    /// What the connection does with a request.
    enum Outcome {
        case respond(ServiceResponse)
        case reset
        case neverAnswer
    }

    let service: BlobService
    let host: HostService
    let faults: FaultInjector
    let journal: RequestJournal

    init(service: BlobService, host: HostService, faults: FaultInjector, journal: RequestJournal) {
        self.service = service
        self.host = host
        self.faults = faults
        self.journal = journal
    }

    /// The refusal of a request whose head fails authorization, before its body is read (an unauthenticated PUT of
    /// 512 MiB was buffered whole before its 403); nil when the request may go on. A refusal is journaled.
    func refusalBeforeBody(_ request: ServiceRequest) -> ServiceResponse? {
        guard !request.rawPath.hasPrefix(AdminEndpoint.prefix),
            let operation = BlobOperation.classify(
                method: request.method, restype: request.query["restype"], comp: request.query["comp"],
                hasBlob: request.blob != nil),
            let refusal = service.refusal(request, operation: operation)
        else { return nil }
        journal.record(entry(for: request, operation: operation, outcome: .respond(refusal), fault: nil))
        return refusal
    }

    /// The 413 for a request whose body is over the emulator's limit (journaled; the body is never kept).
    func refusalOfOversizedBody(_ request: ServiceRequest, limit: Int) -> ServiceResponse {
        let operation = BlobOperation.classify(
            method: request.method, restype: request.query["restype"], comp: request.query["comp"],
            hasBlob: request.blob != nil)
        let error = ServiceError(
            status: 413, code: "RequestBodyTooLarge",
            message: "The request body is too large and exceeds the maximum permissible limit (\(limit) bytes).")
        let response = service.inject(error, for: request)
        journal.record(entry(for: request, operation: operation, outcome: .respond(response), fault: nil))
        return response
    }

    /// The outcome, the delay in milliseconds before carrying it out, and whether it waits for a `hold` rule's
    /// release besides.
    func process(_ request: ServiceRequest) -> (outcome: Outcome, delayMilliseconds: Int, held: Bool) {
        if request.rawPath.hasPrefix(AdminEndpoint.prefix) {
            return (.respond(AdminEndpoint.handle(request, faults: faults, journal: journal)), 0, false)
        }
        if let operation = HostService.operation(request) { return processHostCall(request, operation: operation) }
        let operation = BlobOperation.classify(
            method: request.method, restype: request.query["restype"], comp: request.query["comp"],
            hasBlob: request.blob != nil)
        let decision = faults.decide(
            account: request.account, container: request.container, blob: request.blob, operation: operation)
        let outcome: Outcome
        switch decision.fault {
        case .error(let status, let code), .failFirst(_, let status, let code):
            let error = ServiceError(status: status, code: code, message: ServiceError.standardMessage(for: code))
            var response = service.inject(error, for: request)
            if status == 503 || status == 500 { response.headers.append(("Retry-After", "1")) }
            outcome = .respond(response)
        case .resetConnection: outcome = .reset
        case .neverAnswer: outcome = .neverAnswer
        // The host-only actions do not apply to Blob operations (decoding refuses them there).
        case .latency, .hold, .emptyBody, .hostServiceDown, nil:
            outcome = .respond(service.handle(request, operation: operation))
        }
        journal.record(entry(for: request, operation: operation, outcome: outcome, fault: decision.summary))
        return (outcome, decision.delayMilliseconds, decision.held)
    }

    /// A call of the host's backup service: request-wide faults first (blob rules fail single disks' entries).
    private func processHostCall(_ request: ServiceRequest, operation: BlobOperation) -> (
        outcome: Outcome, delayMilliseconds: Int, held: Bool
    ) {
        let decision = faults.decide(account: "", container: nil, blob: nil, operation: operation)
        let outcome: Outcome
        switch decision.fault {
        case .error(let status, let code), .failFirst(_, let status, let code):
            outcome = .respond(HostService.error(status, code, ServiceError.standardMessage(for: code)))
        case .emptyBody: outcome = .respond(ServiceResponse(status: 200))
        case .hostServiceDown:
            outcome = .respond(
                ServiceResponse(
                    status: 500, headers: [("Content-Type", "text/plain")],
                    body: Array("The backup host service is not running.\n".utf8)))
        case .resetConnection: outcome = .reset
        case .neverAnswer: outcome = .neverAnswer
        case .latency, .hold, nil:
            outcome = .respond(
                host.handle(request, operation: operation) { [faults] disk in
                    faults.diskFault(account: disk.account, container: disk.container, blob: disk.blob)
                })
        }
        var recorded = entry(for: request, operation: operation, outcome: outcome, fault: decision.summary)
        recorded.body = HostService.journalBody(request.body)
        journal.record(recorded)
        return (outcome, decision.delayMilliseconds, decision.held)
    }

    private func entry(for request: ServiceRequest, operation: BlobOperation?, outcome: Outcome, fault: String?)
        -> RecordedRequest
    {
        var status = 0
        var errorCode: String?
        var requestID = ""
        if case .respond(let response) = outcome {
            status = response.status
            errorCode = response.errorCode
            requestID = response.headers.first { $0.0 == "x-ms-request-id" }?.1 ?? ""
        }
        return RecordedRequest(
            time: Date(), method: request.method, uri: request.uri, operation: operation,
            headers: request.headers.map { (name: $0.name, value: $0.value) }, status: status, errorCode: errorCode,
            requestID: requestID, fault: fault)
    }
}

/// `/_admin/faults` (GET the rules, PUT a JSON array to replace them, DELETE to clear) and `/_admin/journal`
/// (GET the entries as JSON, DELETE to clear).
enum AdminEndpoint {
    static let prefix = "/_admin/"

    static func handle(_ request: ServiceRequest, faults: FaultInjector, journal: RequestJournal) -> ServiceResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        switch (request.method, request.rawPath) {
        case ("GET", "/_admin/faults"): return json((try? encoder.encode(faults.rules)) ?? Data())
        case ("PUT", "/_admin/faults"):
            do {
                faults.replace(try decodeRules(Data(request.body), source: "PUT /_admin/faults body"))
                return json((try? encoder.encode(faults.rules)) ?? Data())
            } catch {
                return text(400, "\(error)")
            }
        case ("DELETE", "/_admin/faults"):
            faults.replace([])
            return ServiceResponse(status: 204)
        case ("GET", "/_admin/journal"): return json((try? encoder.encode(journal.entries)) ?? Data())
        case ("DELETE", "/_admin/journal"):
            journal.clear()
            return ServiceResponse(status: 204)
        default: return text(404, "unknown admin endpoint \(request.method) \(request.rawPath)")
        }
    }

    /// Decodes a JSON array of fault rules; the error names `source`, the JSON path and what was expected.
    static func decodeRules(_ data: Data, source: String) throws(EmulatorConfigurationError) -> [FaultRule] {
        do {
            return try JSONDecoder().decode([FaultRule].self, from: data)
        } catch let error as DecodingError {
            throw .invalid(
                path: source, field: BlobStore.describe(error),
                expected:
                    "an array of fault rules ({\"operation\": ..., \"action\": \"error\", \"status\": 503, \"code\": \"ServerBusy\"})"
            )
        } catch {
            throw .invalid(path: source, field: "$", expected: "JSON")
        }
    }

    private static func json(_ data: Data) -> ServiceResponse {
        ServiceResponse(status: 200, headers: [("Content-Type", "application/json")], body: [UInt8](data))
    }

    private static func text(_ status: Int, _ message: String) -> ServiceResponse {
        ServiceResponse(status: status, headers: [("Content-Type", "text/plain")], body: Array((message + "\n").utf8))
    }
}
