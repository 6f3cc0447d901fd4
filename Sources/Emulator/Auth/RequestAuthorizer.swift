import Foundation

/// Checks a request's service SAS or Shared Key exactly as Azure does and returns the API version it runs under.
struct RequestAuthorizer: Sendable {
    let keys: [String: AccountKey]

    /// The version used when a Shared Key request names none.
    static let defaultVersion = "2021-12-02"

    init(accounts: [String: String]) {
        keys = accounts.compactMapValues(AccountKey.init(base64:))
    }

    /// Verifies the request's credentials for `operation`; throws the 403 Azure would send.
    func authorize(_ request: ServiceRequest, operation: BlobOperation, now: Date) throws(ServiceError) -> String {
        guard let key = keys[request.account] else {
            throw .authenticationFailed("The storage account '\(request.account)' does not exist on this emulator.")
        }
        if let authorization = request.header("authorization") {
            return try verifySharedKey(authorization, request: request, key: key)
        }
        guard request.query["sig"] != nil else {
            throw ServiceError(status: 404, code: "ResourceNotFound", message: "The specified resource does not exist.")
        }
        return try verifySAS(request, operation: operation, key: key, now: now)
    }

    // MARK: Service SAS

    private func verifySAS(_ request: ServiceRequest, operation: BlobOperation, key: AccountKey, now: Date)
        throws(ServiceError) -> String
    {
        let q = request.query
        guard let version = q["sv"], !version.isEmpty else {
            throw .authenticationFailed("sv is mandatory. Cannot be empty")
        }
        guard let resource = q["sr"], !resource.isEmpty else {
            throw .authenticationFailed("sr is mandatory. Cannot be empty")
        }
        guard ["b", "c", "bs"].contains(resource) else {
            throw .authenticationFailed("sr value '\(resource)' is not valid for the blob service")
        }
        if let identifier = q["si"] {
            throw .authenticationFailed("The stored access policy '\(identifier)' was not found.")
        }
        guard let permissions = q["sp"], !permissions.isEmpty else {
            throw .authenticationFailed("sp is mandatory. Cannot be empty")
        }
        guard let expiryText = q["se"], !expiryText.isEmpty else {
            throw .authenticationFailed("se is mandatory. Cannot be empty")
        }
        guard let container = request.container else {
            throw .authenticationFailed("A service SAS needs a container in the request path.")
        }
        let parameters = SASParameters(
            version: version, resource: resource, permissions: permissions, start: q["st"], expiry: expiryText,
            ipRange: q["sip"], protocols: q["spr"], identifier: nil, snapshot: resource == "bs" ? q["snapshot"] : nil,
            encryptionScope: q["ses"], responseHeaders: SASParameters.responseHeaderNames.map { q[$0] })
        let stringToSign = parameters.stringToSign(account: request.account, container: container, blob: request.blob)
        guard key.sign(stringToSign) == q["sig"] else {
            throw .authenticationFailed("Signature did not match. String to sign used was \(stringToSign)")
        }
        guard let expiry = Timestamps.parseSASTime(expiryText) else {
            throw .authenticationFailed("se '\(expiryText)' is not a valid ISO 8601 time")
        }
        var start: Date?
        if let startText = q["st"], !startText.isEmpty {
            guard let parsed = Timestamps.parseSASTime(startText) else {
                throw .authenticationFailed("st '\(startText)' is not a valid ISO 8601 time")
            }
            start = parsed
        }
        if now > expiry || start.map({ now < $0 }) == true {
            let show = { (date: Date) in Timestamps.httpDate(Int64(date.timeIntervalSince1970)) }
            throw .authenticationFailed(
                "Signature not valid in the specified time frame: Start [\(start.map(show) ?? "")] - Expiry [\(show(expiry))] - Current [\(show(now))]"
            )
        }
        if version >= "2015-02-21" {
            try checkProtocol(q["spr"])
            try checkSourceIP(q["sip"], client: request.clientAddress)
        }
        if operation.isContainerOperation && resource != "c" {
            throw ServiceError(
                status: 403, code: "AuthorizationResourceTypeMismatch",
                message: "This request is not authorized to perform this operation using this resource type.")
        }
        guard permissions.contains(where: { operation.acceptedPermissions.contains($0) }) else {
            throw ServiceError(
                status: 403, code: "AuthorizationPermissionMismatch",
                message: "This request is not authorized to perform this operation using this permission.")
        }
        return version
    }

    private func checkProtocol(_ protocols: String?) throws(ServiceError) {
        guard let protocols, !protocols.isEmpty else { return }
        let allowed = protocols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if !allowed.contains("http") {
            throw ServiceError(
                status: 403, code: "AuthorizationProtocolMismatch",
                message: "This request is not authorized to perform this operation using this protocol.")
        }
    }

    private func checkSourceIP(_ range: String?, client: String?) throws(ServiceError) {
        guard let range, !range.isEmpty else { return }
        let bounds = range.split(separator: "-", maxSplits: 1).map { IPv4.parse(String($0)) }
        let address = client.flatMap(IPv4.parse)
        guard let low = bounds.first ?? nil, let high = bounds.last ?? nil, let address, low <= address,
            address <= high
        else {
            throw ServiceError(
                status: 403, code: "AuthorizationSourceIPMismatch",
                message:
                    "This request is not authorized to perform this operation using this source IP \(client ?? "unknown")."
            )
        }
    }

    // MARK: Shared Key

    private func verifySharedKey(_ authorization: String, request: ServiceRequest, key: AccountKey)
        throws(ServiceError) -> String
    {
        let scheme = "SharedKey "
        guard authorization.hasPrefix(scheme), let colon = authorization.lastIndex(of: ":") else {
            throw .authenticationFailed("The Authorization header must be 'SharedKey ACCOUNT:SIGNATURE'.")
        }
        let account = authorization[authorization.index(authorization.startIndex, offsetBy: scheme.count)..<colon]
        guard account == request.account else {
            throw .authenticationFailed("The account in the Authorization header does not match the request.")
        }
        let version = request.header("x-ms-version") ?? Self.defaultVersion
        let stringToSign = sharedKeyStringToSign(request, version: version)
        guard key.sign(stringToSign) == authorization[authorization.index(after: colon)...] else {
            throw .authenticationFailed(
                "The MAC signature found in the HTTP request is not the same as any computed signature. Server used following string to sign: '\(stringToSign)'."
            )
        }
        return version
    }

    /// The Shared Key string-to-sign (2009-09-19 and later): verb, standard headers, `x-ms-*`, resource, query.
    func sharedKeyStringToSign(_ request: ServiceRequest, version: String) -> String {
        var length = request.header("content-length") ?? ""
        if length == "0" && version >= "2015-02-21" { length = "" }
        let standard = [
            "content-encoding", "content-language", "", "content-md5", "content-type", "date", "if-modified-since",
            "if-match", "if-none-match", "if-unmodified-since", "range",
        ].map { $0.isEmpty ? length : request.header($0) ?? "" }
        var text = request.method + "\n" + standard.joined(separator: "\n") + "\n"
        let msHeaders = request.headers.map { (name: $0.name.lowercased(), value: $0.value) }
            .filter { $0.name.hasPrefix("x-ms-") }
            .sorted { a, b in
                let (x, y) = (a.name.filter { $0 != "-" }, b.name.filter { $0 != "-" })
                return x == y ? a.name < b.name : x < y
            }
        for header in msHeaders { text += "\(header.name):\(header.value)\n" }
        text += "/\(request.account)\(request.rawPath)"
        var grouped: [String: [String]] = [:]
        for pair in request.queryPairs { grouped[pair.name.lowercased(), default: []].append(pair.value) }
        for name in grouped.keys.sorted() { text += "\n\(name):\(grouped[name]!.sorted().joined(separator: ","))" }
        return text
    }
}

/// IPv4 addresses as integers, for `sip` ranges.
enum IPv4 {
    static func parse(_ text: String) -> UInt32? {
        let trimmed = text.hasPrefix("::ffff:") ? String(text.dropFirst(7)) : text
        let parts = trimmed.split(separator: ".")
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }
}
