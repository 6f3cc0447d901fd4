/// Put, read, describe and delete whole blobs.
extension BlobService {
    func putBlob(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        let request = context.request
        guard let typeText = request.header("x-ms-blob-type") else { throw .missingHeader("x-ms-blob-type") }
        guard let type = BlobType(rawValue: typeText) else { throw .invalidHeader("x-ms-blob-type", typeText) }
        if type == .append && context.version < "2015-02-21" { throw .invalidHeader("x-ms-blob-type", typeText) }
        var content = SparseBytes()
        switch type {
        case .block: content = SparseBytes(request.body)
        case .page:
            guard let text = request.header("x-ms-blob-content-length") else {
                throw .missingHeader("x-ms-blob-content-length")
            }
            guard let size = Int(text), size >= 0, size % 512 == 0 else {
                throw .invalidHeader("x-ms-blob-content-length", text)
            }
            guard request.body.isEmpty else { throw .invalidHeader("Content-Length", String(request.body.count)) }
            content = SparseBytes(length: size)
        case .append:
            guard request.body.isEmpty else { throw .invalidHeader("Content-Length", String(request.body.count)) }
        }
        let contentType =
            request.header("x-ms-blob-content-type") ?? request.header("content-type") ?? "application/octet-stream"
        let version = try store.access { (state: inout StoreState) throws(ServiceError) -> BlobVersion in
            let etag = state.nextETag()
            return try state.withContainer(context) { (container: inout StoredContainer) throws(ServiceError) in
                let existing = container.blobs[context.blob]
                try Conditions.checkWrite(request, existing?.current)
                let version = BlobVersion(
                    type: type, content: content, metadata: request.metadata, contentType: contentType,
                    etag: etag, lastModified: context.seconds, created: context.seconds)
                if var blob = existing {
                    blob.current = version
                    container.blobs[context.blob] = blob
                } else {
                    container.blobs[context.blob] = StoredBlob(current: version)
                }
                container.uncommittedBlocks[context.blob] = nil
                return version
            }
        }
        return ServiceResponse(status: 201, headers: version.validators + [("x-ms-request-server-encrypted", "true")])
    }

    /// The blob, or the snapshot named by `?snapshot=`, as it is now.
    func readVersion(_ context: OperationContext) throws(ServiceError) -> BlobVersion {
        try store.access { (state: inout StoreState) throws(ServiceError) in
            try state.withBlob(context) { (blob: inout StoredBlob) throws(ServiceError) in
                guard let time = context.request.query["snapshot"] else { return blob.current }
                guard let snapshot = blob.snapshots.first(where: { $0.time == time }) else { throw .blobNotFound() }
                return snapshot.version
            }
        }
    }

    /// Get Blob and Get Blob Properties (HEAD): conditional, ranged (206 + Content-Range, 416).
    ///
    /// Emulator limit: a body of more than `SparseBytes.largestRead` bytes (256 MiB) is answered with
    /// 400 `EmulatorRangeTooLarge` (Azure streams it); read such a blob in ranges of at most that size.
    func getBlob(_ context: OperationContext, headOnly: Bool) throws(ServiceError) -> ServiceResponse {
        let request = context.request
        let version = try readVersion(context)
        let size = version.content.length
        if try Conditions.checkRead(request, version) {
            return Self.notModified(version)
        }
        var headers = version.validators + version.metadataHeaders
        headers += [
            ("Content-Type", request.query["rsct"] ?? version.contentType), ("x-ms-blob-type", version.type.rawValue),
            ("Accept-Ranges", "bytes"), ("x-ms-creation-time", Timestamps.httpDate(version.created)),
            ("x-ms-server-encrypted", "true"), ("x-ms-lease-status", "unlocked"), ("x-ms-lease-state", "available"),
        ]
        for (query, header) in [
            ("rscc", "Cache-Control"), ("rscd", "Content-Disposition"), ("rsce", "Content-Encoding"),
            ("rscl", "Content-Language"),
        ] {
            if let value = request.query[query] { headers.append((header, value)) }
        }
        switch version.type {
        case .page: headers.append(("x-ms-blob-sequence-number", "0"))
        case .append: headers.append(("x-ms-blob-committed-block-count", String(version.appendedBlocks)))
        case .block: break
        }
        if headOnly {
            return ServiceResponse(status: 200, headers: headers + [("Content-Length", String(size))])
        }
        let requested = try Self.requestedRange(request, size: size)
        let range = requested ?? 0..<size
        // The body is built in memory: a read of a huge (mostly empty) page blob is refused instead.
        guard range.count <= SparseBytes.largestRead else { throw .responseTooLarge(range.count) }
        guard requested != nil else {
            return ServiceResponse(status: 200, headers: headers, body: version.content.read(range))
        }
        headers.append(("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)"))
        return ServiceResponse(status: 206, headers: headers, body: version.content.read(range))
    }

    /// 304 Not Modified; like Azure it names ConditionNotMet in `x-ms-error-code` (the SDK reads it).
    static func notModified(_ version: BlobVersion) -> ServiceResponse {
        ServiceResponse(
            status: 304, headers: version.validators + [("x-ms-error-code", "ConditionNotMet")],
            errorCode: "ConditionNotMet")
    }

    /// The byte range of `x-ms-range` (preferred) or `Range`, clamped to the size; 416 when it starts past the end.
    static func requestedRange(_ request: ServiceRequest, size: Int) throws(ServiceError) -> Range<Int>? {
        guard let text = request.header("x-ms-range") ?? request.header("range"), text.hasPrefix("bytes=") else {
            return nil
        }
        let bounds = text.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2, let start = Int(bounds[0]), bounds[1].isEmpty || Int(bounds[1]) ?? -1 >= start else {
            return nil
        }
        guard start < size else {
            throw ServiceError(
                status: 416, code: "InvalidRange",
                message: "The range specified is invalid for the current size of the resource.",
                extraHeaders: [("Content-Range", "bytes */\(size)")])
        }
        let end = Int(bounds[1]) ?? size - 1
        return start..<(min(end, size - 1) + 1)
    }

    func getMetadata(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        let version = try readVersion(context)
        if try Conditions.checkRead(context.request, version) {
            return Self.notModified(version)
        }
        return ServiceResponse(status: 200, headers: version.validators + version.metadataHeaders)
    }

    func setMetadata(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        let version = try modifyCurrent(context) { (version: inout BlobVersion) throws(ServiceError) in
            version.metadata = context.request.metadata
        }
        return ServiceResponse(status: 200, headers: version.validators)
    }

    /// Set Blob Properties: `x-ms-blob-content-type`, and `x-ms-blob-content-length` to resize a page blob.
    func setProperties(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        let request = context.request
        let version = try modifyCurrent(context) { (version: inout BlobVersion) throws(ServiceError) in
            if let text = request.header("x-ms-blob-content-length") {
                guard version.type == .page else { throw .invalidBlobType() }
                guard let size = Int(text), size >= 0, size % 512 == 0 else {
                    throw .invalidHeader("x-ms-blob-content-length", text)
                }
                version.content.resize(to: size)
            }
            if let type = request.header("x-ms-blob-content-type") { version.contentType = type }
        }
        var headers = version.validators
        if version.type == .page { headers.append(("x-ms-blob-sequence-number", "0")) }
        return ServiceResponse(status: 200, headers: headers)
    }

    /// Changes the current version of an existing blob (after If-Match checks), giving it a new ETag.
    func modifyCurrent(_ context: OperationContext, _ change: (inout BlobVersion) throws(ServiceError) -> Void)
        throws(ServiceError) -> BlobVersion
    {
        try store.access { (state: inout StoreState) throws(ServiceError) in
            let etag = state.nextETag()
            return try state.withBlob(context) { (blob: inout StoredBlob) throws(ServiceError) in
                try Conditions.checkWrite(context.request, blob.current)
                try change(&blob.current)
                blob.current.etag = etag
                blob.current.lastModified = context.seconds
                return blob.current
            }
        }
    }

    /// Delete Blob: a snapshot (`?snapshot=`), or the blob with `x-ms-delete-snapshots: include|only`.
    func deleteBlob(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        let request = context.request
        let mode = request.header("x-ms-delete-snapshots")
        if let mode, mode != "include", mode != "only" { throw .invalidHeader("x-ms-delete-snapshots", mode) }
        try store.access { (state: inout StoreState) throws(ServiceError) in
            try state.withContainer(context) { (container: inout StoredContainer) throws(ServiceError) in
                guard var blob = container.blobs[context.blob] else { throw .blobNotFound() }
                if let time = request.query["snapshot"] {
                    guard let index = blob.snapshots.firstIndex(where: { $0.time == time }) else {
                        throw .blobNotFound()
                    }
                    blob.snapshots.remove(at: index)
                    container.blobs[context.blob] = blob
                    return
                }
                try Conditions.checkWrite(request, blob.current)
                switch mode {
                case "include": container.blobs[context.blob] = nil
                case "only":
                    blob.snapshots.removeAll()
                    container.blobs[context.blob] = blob
                default:
                    guard blob.snapshots.isEmpty else {
                        throw ServiceError(
                            status: 409, code: "SnapshotsPresent",
                            message: "This operation is not permitted because the blob has snapshots.")
                    }
                    container.blobs[context.blob] = nil
                }
            }
        }
        return ServiceResponse(status: 202, headers: [("x-ms-delete-type-permanent", "true")])
    }
}
