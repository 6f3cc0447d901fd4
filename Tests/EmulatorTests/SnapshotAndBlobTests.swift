import Emulator
import Foundation
import TestSupport
import Testing

/// Put / Get / Snapshot / Create Container over real HTTP against an in-process emulator.
@Suite struct SnapshotAndBlobTests {
    @Test func putThenGetWithConditionalRequest() async throws {
        try await EmulatorFixture.run(pageBlobs: 0) { fixture in
            let uri = fixture.sasURI(blob: "status.json")
            let put = try await HTTPExchange.send(
                "PUT", uri, headers: ["x-ms-blob-type": "BlockBlob", "Content-Type": "application/json"],
                body: Data("{\"a\":1}".utf8))
            #expect(put.status == 201)
            let etag = try #require(put.header("etag"))
            #expect(put.header("last-modified") != nil)
            #expect(put.header("x-ms-request-id") != nil)
            let get = try await HTTPExchange.send("GET", uri)
            #expect(get.status == 200)
            #expect(get.text == "{\"a\":1}")
            #expect(get.header("etag") == etag)
            #expect(get.header("x-ms-blob-type") == "BlockBlob")
            #expect(get.header("content-type") == "application/json")
            let unchanged = try await HTTPExchange.send("GET", uri, headers: ["If-None-Match": etag])
            #expect(unchanged.status == 304)
            #expect(unchanged.body.isEmpty)
            #expect(fixture.emulator.blobContent(container: "vhds", blob: "status.json") == Data("{\"a\":1}".utf8))
        }
    }

    @Test func pageBlobPutNeedsAlignedLength() async throws {
        try await EmulatorFixture.run(pageBlobs: 0) { fixture in
            let uri = fixture.sasURI(blob: "disk9")
            let bad = try await HTTPExchange.send(
                "PUT", uri, headers: ["x-ms-blob-type": "PageBlob", "x-ms-blob-content-length": "1000"])
            #expect(bad.status == 400)
            #expect(bad.header("x-ms-error-code") == "InvalidHeaderValue")
            let good = try await HTTPExchange.send(
                "PUT", uri, headers: ["x-ms-blob-type": "PageBlob", "x-ms-blob-content-length": "4096"])
            #expect(good.status == 201)
            #expect(fixture.emulator.blobContent(container: "vhds", blob: "disk9")?.count == 4096)
        }
    }

    @Test func snapshotTimesAreUniqueIncreasingWithSevenDigits() async throws {
        try await EmulatorFixture.run(pageBlobs: 1) { fixture in
            let uri = fixture.sasURI(blob: "disk0") + "&comp=snapshot"
            let times = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let answer = try await HTTPExchange.send("PUT", uri)
                        #expect(answer.status == 201)
                        #expect(answer.header("etag") != nil)
                        return try #require(answer.header("x-ms-snapshot"))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(times).count == 20)
            let pattern = #/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/#
            #expect(times.allSatisfy { $0.wholeMatch(of: pattern) != nil })
            let stored = fixture.emulator.snapshots(container: "vhds", blob: "disk0")
            #expect(stored == stored.sorted())
            #expect(Set(stored) == Set(times))
        }
    }

    @Test func snapshotMetadataReplacesOrCopies() async throws {
        try await EmulatorFixture.run(pageBlobs: 0) { fixture in
            fixture.emulator.createPageBlob(container: "vhds", blob: "disk0", size: 512, metadata: ["owner": "base"])
            let uri = fixture.sasURI(blob: "disk0") + "&comp=snapshot"
            let copied = try #require(try await HTTPExchange.send("PUT", uri).header("x-ms-snapshot"))
            let replaced = try #require(
                try await HTTPExchange.send("PUT", uri, headers: ["x-ms-meta-job": "42"]).header("x-ms-snapshot"))
            #expect(
                fixture.emulator.blobMetadata(container: "vhds", blob: "disk0", snapshot: copied) == ["owner": "base"])
            #expect(
                lowered(fixture.emulator.blobMetadata(container: "vhds", blob: "disk0", snapshot: replaced)) == [
                    "job": "42"
                ])
            let read = try await HTTPExchange.send("GET", fixture.sasURI(blob: "disk0") + "&snapshot=\(replaced)")
            #expect(read.status == 200)
            #expect(read.header("x-ms-meta-job") == "42")
        }
    }

    @Test func snapshotOfMissingBlobIs404() async throws {
        try await EmulatorFixture.run(pageBlobs: 0) { fixture in
            let answer = try await HTTPExchange.send("PUT", fixture.sasURI(blob: "nope") + "&comp=snapshot")
            #expect(answer.status == 404)
            #expect(answer.header("x-ms-error-code") == "BlobNotFound")
            #expect(answer.text.contains("<Code>BlobNotFound</Code>"))
        }
    }

    @Test func createContainerWithContainerSAS() async throws {
        try await EmulatorFixture.run(pageBlobs: 0) { fixture in
            let sas = SASParameters(
                version: "2020-12-06", resource: "c", permissions: "rwcdl",
                expiry: SASParameters.format(Date().addingTimeInterval(600)))
            let uri = fixture.emulator.signedURI(container: "logs", blob: nil, parameters: sas) + "&restype=container"
            let created = try await HTTPExchange.send("PUT", uri)
            #expect(created.status == 201)
            let again = try await HTTPExchange.send("PUT", uri)
            #expect(again.status == 409)
            #expect(again.header("x-ms-error-code") == "ContainerAlreadyExists")
        }
    }
}

/// Metadata names compared case-insensitively (HTTP clients may recase header names).
private func lowered(_ metadata: [String: String]?) -> [String: String]? {
    metadata.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.lowercased(), $0.value) }) }
}
