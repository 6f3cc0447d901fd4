import Foundation

/// The peer's status field set (schemas/peer.status.schema.json, derived from Microsoft's extension's real documents)
/// applied to a scenario's status blob and to the document its status file embeds.
extension SnapshotScenario {
    /// The schema file, relative to the package root.
    public static let peerStatusSchema = "schemas/peer.status.schema.json"

    /// What the uploaded status blob, and the blob document embedded in `<statusDirectory>/<sequenceNumber>.status`
    /// when that file exists, lack of the peer's field set; a missing status blob is a problem.
    public func peerSchemaProblems(sequenceNumber: Int = 0) throws -> [String] {
        guard let data = blob(Self.statusBlob) else { return ["no status blob was uploaded"] }
        var problems = try JSONSchemaCheck.problems(in: data, schema: Self.peerStatusSchema).map { "blob: \($0)" }
        let file = URL(fileURLWithPath: statusDirectory).appendingPathComponent("\(sequenceNumber).status")
        if let bytes = try? Data(contentsOf: file) {
            guard let list = try JSONSerialization.jsonObject(with: bytes) as? [[String: Any]],
                let status = list.first?["status"] as? [String: Any],
                let embedded = (status["substatus"] as? [[String: Any]])?.first?["name"] as? String
            else { return problems + ["status file: no blob document in substatus[0].name"] }
            problems += try JSONSchemaCheck.problems(in: Data(embedded.utf8), schema: Self.peerStatusSchema).map {
                "status file: \($0)"
            }
        }
        return problems
    }
}
