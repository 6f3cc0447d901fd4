import Foundation

/// Partial writes: Put Page, Put Block / Put Block List, Append Block.
extension BlobService {
    /// Put Page (`x-ms-page-write: update|clear`, 512-aligned `x-ms-range`).
    func putPage(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        let request = context.request
        guard let write = request.header("x-ms-page-write") else { throw .missingHeader("x-ms-page-write") }
        guard write == "update" || write == "clear" else { throw .invalidHeader("x-ms-page-write", write) }
        let rangeText = request.header("x-ms-range") ?? request.header("range")
        guard let rangeText else { throw .missingHeader("x-ms-range") }
        let bounds =
            rangeText.hasPrefix("bytes=") ? rangeText.dropFirst(6).split(separator: "-").compactMap { Int($0) } : []
        guard bounds.count == 2, bounds[1] < Int.max, bounds[0] % 512 == 0, (bounds[1] + 1) % 512 == 0,
            bounds[1] > bounds[0]
        else {
            throw .invalidHeader("x-ms-range", rangeText)
        }
        let range = bounds[0]..<(bounds[1] + 1)
        if write == "update" && request.body.count != range.count {
            throw .invalidHeader("Content-Length", String(request.body.count))
        }
        let version = try modifyCurrent(context) { (version: inout BlobVersion) throws(ServiceError) in
            guard version.type == .page else { throw .invalidBlobType() }
            guard range.upperBound <= version.content.length else {
                throw ServiceError(
                    status: 416, code: "InvalidPageRange", message: "The page range specified is invalid.")
            }
            if write == "update" {
                version.content.write(request.body, at: range.lowerBound)
            } else {
                version.content.clear(range)
            }
        }
        return ServiceResponse(
            status: 201,
            headers: version.validators + [
                ("x-ms-blob-sequence-number", "0"), ("x-ms-request-server-encrypted", "true"),
            ])
    }

    /// Put Block: stores an uncommitted block until Put Block List commits it.
    func putBlock(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        guard let id = context.request.query["blockid"], !id.isEmpty else {
            throw ServiceError(
                status: 400, code: "MissingRequiredQueryParameter",
                message: "A query parameter that's mandatory for this request is not specified.",
                extraHeaders: [("x-ms-missing-query-parameter-name", "blockid")])
        }
        try store.access { (state: inout StoreState) throws(ServiceError) in
            try state.withContainer(context) { (container: inout StoredContainer) throws(ServiceError) in
                if let existing = container.blobs[context.blob], existing.current.type != .block {
                    throw .invalidBlobType()
                }
                container.uncommittedBlocks[context.blob, default: [:]][id] = context.request.body
            }
        }
        return ServiceResponse(status: 201, headers: [("x-ms-request-server-encrypted", "true")])
    }

    /// Put Block List: `<BlockList><Latest|Committed|Uncommitted>id</..></BlockList>` becomes the blob.
    func putBlockList(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        let request = context.request
        let entries = try Self.parseBlockList(request.body)
        let contentType =
            request.header("x-ms-blob-content-type") ?? "application/octet-stream"
        let version = try store.access { (state: inout StoreState) throws(ServiceError) -> BlobVersion in
            let etag = state.nextETag()
            return try state.withContainer(context) { (container: inout StoredContainer) throws(ServiceError) in
                let existing = container.blobs[context.blob]
                if let existing, existing.current.type != .block { throw .invalidBlobType() }
                try Conditions.checkWrite(request, existing?.current)
                var committed: [String: [UInt8]] = [:]
                if let current = existing?.current {
                    var offset = 0
                    for block in current.committedBlocks {
                        committed[block.id] = current.content.read(offset..<(offset + block.length))
                        offset += block.length
                    }
                }
                let uncommitted = container.uncommittedBlocks[context.blob] ?? [:]
                var content = SparseBytes()
                var blocks: [CommittedBlock] = []
                for (kind, id) in entries {
                    let data: [UInt8]? =
                        switch kind {
                        case "Committed": committed[id]
                        case "Uncommitted": uncommitted[id]
                        default: uncommitted[id] ?? committed[id]
                        }
                    guard let data else {
                        throw ServiceError(
                            status: 400, code: "InvalidBlockList", message: "The specified block list is invalid.")
                    }
                    content.write(data, at: content.length)
                    blocks.append(CommittedBlock(id: id, length: data.count))
                }
                let version = BlobVersion(
                    type: .block, content: content, metadata: request.metadata, contentType: contentType, etag: etag,
                    lastModified: context.seconds, created: existing?.current.created ?? context.seconds,
                    committedBlocks: blocks)
                container.blobs[context.blob, default: StoredBlob(current: version)].current = version
                container.uncommittedBlocks[context.blob] = nil
                return version
            }
        }
        return ServiceResponse(status: 201, headers: version.validators + [("x-ms-request-server-encrypted", "true")])
    }

    /// Reads the (kind, block id) entries of a block list body.
    static func parseBlockList(_ body: [UInt8]) throws(ServiceError) -> [(String, String)] {
        let text = String(decoding: body, as: UTF8.self)
        guard text.contains("<BlockList>") else {
            throw ServiceError(
                status: 400, code: "InvalidXmlDocument", message: "XML specified is not syntactically valid.")
        }
        var entries: [(String, String)] = []
        var rest = text[...]
        while let open = rest.firstIndex(of: "<") {
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: ">") else { break }
            let tag = String(rest[afterOpen..<close])
            rest = rest[rest.index(after: close)...]
            guard ["Latest", "Committed", "Uncommitted"].contains(tag), let end = rest.range(of: "</\(tag)>") else {
                continue
            }
            entries.append((tag, XML.unescape(rest[..<end.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)))
            rest = rest[end.upperBound...]
        }
        return entries
    }

    /// Append Block (service version 2015-02-21 and later), with `x-ms-blob-condition-appendpos` / `maxsize`.
    func appendBlock(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        let request = context.request
        guard context.version >= "2015-02-21" else { throw .invalidQuery("comp") }
        var offset = 0
        let version = try modifyCurrent(context) { (version: inout BlobVersion) throws(ServiceError) in
            guard version.type == .append else { throw .invalidBlobType() }
            offset = version.content.length
            if let position = request.header("x-ms-blob-condition-appendpos"), Int(position) != offset {
                throw ServiceError(
                    status: 412, code: "AppendPositionConditionNotMet",
                    message: "The append position condition specified was not met.")
            }
            if let maximum = request.header("x-ms-blob-condition-maxsize").flatMap({ Int($0) }),
                offset + request.body.count > maximum
            {
                throw ServiceError(
                    status: 412, code: "MaxBlobSizeConditionNotMet",
                    message: "The max blob size condition specified was not met.")
            }
            guard version.appendedBlocks < 50_000 else {
                throw ServiceError(
                    status: 409, code: "BlockCountExceedsLimit",
                    message: "The committed block count cannot exceed the maximum limit of 50,000 blocks.")
            }
            version.content.write(request.body, at: offset)
            version.appendedBlocks += 1
        }
        return ServiceResponse(
            status: 201,
            headers: version.validators + [
                ("x-ms-blob-append-offset", String(offset)),
                ("x-ms-blob-committed-block-count", String(version.appendedBlocks)),
                ("x-ms-request-server-encrypted", "true"),
            ])
    }
}
