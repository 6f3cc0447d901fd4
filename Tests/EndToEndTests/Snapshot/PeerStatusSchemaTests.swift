import Foundation
import TestSupport
import Testing

/// schemas/peer.status.schema.json, the peer's status field set, against the peer's own documents: it accepts them
/// and refuses a document that lacks a field or writes one in another type.
struct PeerStatusSchemaTests {
    func problems(_ json: Any) throws -> [String] {
        try JSONSchemaCheck.problems(
            in: try JSONSerialization.data(withJSONObject: json), schema: SnapshotScenario.peerStatusSchema)
    }

    @Test func thePeersOwnDocumentsPass() throws {
        let blob = try JSONSerialization.jsonObject(
            with: try StatusDocumentFixtures.data(StatusDocumentFixtures.peerStatusBlob))
        #expect(try problems(blob) == [])
        let file = try #require(
            try JSONSerialization.jsonObject(
                with: try StatusDocumentFixtures.data(StatusDocumentFixtures.peerStatusFile))
                as? [[String: Any]])
        #expect(try problems(file) == [])
        let status = try #require(file.first?["status"] as? [String: Any])
        let embedded = try #require((status["substatus"] as? [[String: Any]])?.first?["name"] as? String)
        #expect(try problems(try JSONSerialization.jsonObject(with: Data(embedded.utf8))) == [])
    }

    @Test func aMissingFieldOrAnotherTypeFails() throws {
        let original = try #require(
            try JSONSerialization.jsonObject(
                with: try StatusDocumentFixtures.data(StatusDocumentFixtures.peerStatusBlob))
                as? [[String: Any]])
        var status = try #require(original.first?["status"] as? [String: Any])
        status["storageDetails"] = nil
        status["code"] = 1
        var telemetry = try #require(status["telemetryData"] as? [[String: Any]])
        telemetry[0]["Value"] = 3
        status["telemetryData"] = telemetry
        var info = try #require(status["snapshotInfo"] as? [[String: Any]])
        info[0]["blobUri"] = nil
        status["snapshotInfo"] = info
        var document = original[0]
        document["status"] = status
        let found = try problems([document])
        for expected in [
            "0/status: 'storageDetails' is a required property", "0/status/code: 1 is not of type 'string'",
            "0/status/telemetryData/0/Value: 3 is not of type 'string'",
            "0/status/snapshotInfo/0: 'blobUri' is a required property",
        ] {
            #expect(found.contains(expected), "\(found)")
        }
    }
}
