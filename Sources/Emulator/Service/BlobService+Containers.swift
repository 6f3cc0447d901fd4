/// Create, delete and read containers; list their blobs.
extension BlobService {
    func createContainer(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        let name = context.container
        guard Self.isValidContainerName(name) else {
            throw ServiceError(
                status: 400, code: "InvalidResourceName",
                message: "The specifed resource name contains invalid characters.")
        }
        let created = try store.access { (state: inout StoreState) throws(ServiceError) -> StoredContainer in
            if state.accounts[context.account]?[name] != nil {
                throw ServiceError(
                    status: 409, code: "ContainerAlreadyExists", message: "The specified container already exists.")
            }
            let container = StoredContainer(etag: state.nextETag(), lastModified: context.seconds)
            state.accounts[context.account, default: [:]][name] = container
            return container
        }
        return ServiceResponse(
            status: 201,
            headers: [("ETag", created.etag), ("Last-Modified", Timestamps.httpDate(created.lastModified))])
    }

    func deleteContainer(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        try store.access { (state: inout StoreState) throws(ServiceError) in
            guard state.accounts[context.account]?.removeValue(forKey: context.container) != nil else {
                throw .containerNotFound()
            }
        }
        return ServiceResponse(status: 202)
    }

    func getContainerProperties(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        let container = try store.access { (state: inout StoreState) throws(ServiceError) in
            try state.withContainer(context) { $0 }
        }
        return ServiceResponse(
            status: 200,
            headers: [
                ("ETag", container.etag), ("Last-Modified", Timestamps.httpDate(container.lastModified)),
                ("x-ms-lease-status", "unlocked"), ("x-ms-lease-state", "available"),
            ])
    }

    /// List Blobs (`include=snapshots,metadata`, `prefix`, `maxresults`, `marker`), answered as application/xml.
    func listBlobs(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        let query = context.request.query
        let include = Set((query["include"] ?? "").split(separator: ",").map { $0.lowercased() })
        let prefix = query["prefix"] ?? ""
        let marker = query["marker"] ?? ""
        var limit = 5000
        if let text = query["maxresults"] {
            guard let value = Int(text), value > 0 else { throw .invalidQuery("maxresults") }
            limit = min(value, 5000)
        }
        let container = try store.access { (state: inout StoreState) throws(ServiceError) in
            try state.withContainer(context) { $0 }
        }
        let names = container.blobs.keys.filter { $0.hasPrefix(prefix) && $0 >= marker }.sorted()
        let page = names.prefix(limit)
        let next = names.count > limit ? names[limit] : ""
        var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\""
        xml += XML.escape("http://\(context.request.header("host") ?? "127.0.0.1")/\(context.account)/")
        xml += "\" ContainerName=\"\(XML.escape(context.container))\">"
        xml += prefix.isEmpty ? "" : "<Prefix>\(XML.escape(prefix))</Prefix>"
        xml += marker.isEmpty ? "" : "<Marker>\(XML.escape(marker))</Marker>"
        xml += query["maxresults"] == nil ? "" : "<MaxResults>\(limit)</MaxResults>"
        xml += "<Blobs>"
        for name in page {
            let blob = container.blobs[name]!
            if include.contains("snapshots") {
                for snapshot in blob.snapshots {
                    xml += Self.listEntry(
                        name, snapshot: snapshot.time, snapshot.version, metadata: include.contains("metadata"))
                }
            }
            xml += Self.listEntry(name, snapshot: nil, blob.current, metadata: include.contains("metadata"))
        }
        xml += "</Blobs><NextMarker>\(XML.escape(next))</NextMarker></EnumerationResults>"
        return ServiceResponse(status: 200, headers: [("Content-Type", "application/xml")], body: Array(xml.utf8))
    }

    private static func listEntry(_ name: String, snapshot: String?, _ version: BlobVersion, metadata: Bool) -> String {
        var xml = "<Blob><Name>\(XML.escape(name))</Name>"
        if let snapshot { xml += "<Snapshot>\(snapshot)</Snapshot>" }
        xml += "<Properties><Creation-Time>\(Timestamps.httpDate(version.created))</Creation-Time>"
        xml += "<Last-Modified>\(Timestamps.httpDate(version.lastModified))</Last-Modified>"
        xml += "<Etag>\(version.etag.replacingOccurrences(of: "\"", with: ""))</Etag>"
        xml += "<Content-Length>\(version.content.length)</Content-Length>"
        xml += "<Content-Type>\(XML.escape(version.contentType))</Content-Type>"
        if version.type == .page { xml += "<x-ms-blob-sequence-number>0</x-ms-blob-sequence-number>" }
        xml += "<BlobType>\(version.type.rawValue)</BlobType>"
        xml += "<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>"
        xml += "<ServerEncrypted>true</ServerEncrypted></Properties>"
        if metadata {
            xml += "<Metadata>"
            for pair in version.metadata { xml += "<\(pair.name)>\(XML.escape(pair.value))</\(pair.name)>" }
            xml += "</Metadata>"
        }
        return xml + "</Blob>"
    }

    /// 3 to 63 lowercase letters, digits and single dashes, starting and ending with a letter or digit.
    static func isValidContainerName(_ name: String) -> Bool {
        (3...63).contains(name.count) && !name.hasPrefix("-") && !name.hasSuffix("-") && !name.contains("--")
            && name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }
}
