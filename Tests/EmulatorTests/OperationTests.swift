import Emulator
import Foundation
import TestSupport
import Testing

/// Ranges, conditions, HEAD, metadata, limits and partial writes over real HTTP.
@Suite struct OperationTests {
    static func upload(_ fixture: EmulatorFixture, _ blob: String, _ text: String) async throws -> HTTPExchange {
        try await HTTPExchange.send(
            "PUT", fixture.sasURI(blob: blob), headers: ["x-ms-blob-type": "BlockBlob"], body: Data(text.utf8))
    }

    @Test func rangedReads() async throws {
        try await EmulatorFixture.run(pageBlobs: 0) { fixture in
            _ = try await Self.upload(fixture, "ten", "0123456789")
            let uri = fixture.sasURI(blob: "ten")
            let tail = try await HTTPExchange.send("GET", uri, headers: ["x-ms-range": "bytes=4-"])
            #expect(tail.status == 206)
            #expect(tail.text == "456789")
            #expect(tail.header("content-range") == "bytes 4-9/10")
            let clamped = try await HTTPExchange.send("GET", uri, headers: ["Range": "bytes=8-100"])
            #expect(clamped.text == "89")
            #expect(clamped.header("content-range") == "bytes 8-9/10")
            let past = try await HTTPExchange.send("GET", uri, headers: ["x-ms-range": "bytes=10-"])
            #expect(past.status == 416)
            #expect(past.header("x-ms-error-code") == "InvalidRange")
        }
    }

    /// A 1 TiB page blob: a whole-blob GET is refused with the emulator's documented error instead of
    /// allocating the blob, while ranged reads and a clear of the whole blob work.
    @Test func hugeSparsePageBlob() async throws {
        try await EmulatorFixture.run(pageBlobs: 0) { fixture in
            let size = 1 << 40
            fixture.emulator.createPageBlob(container: fixture.container, blob: "huge", size: size)
            let uri = fixture.sasURI(blob: "huge")
            let whole = try await HTTPExchange.send("GET", uri)
            #expect(whole.status == 400)
            #expect(whole.header("x-ms-error-code") == "EmulatorRangeTooLarge")
            let page = Data((0..<512).map { UInt8($0 % 256) })
            let end = "bytes=\(size - 512)-\(size - 1)"
            let written = try await HTTPExchange.send(
                "PUT", uri + "&comp=page", headers: ["x-ms-page-write": "update", "x-ms-range": end], body: page)
            #expect(written.status == 201)
            let tail = try await HTTPExchange.send("GET", uri, headers: ["x-ms-range": end])
            #expect(tail.status == 206)
            #expect(tail.body == page)
            let cleared = try await HTTPExchange.send(
                "PUT", uri + "&comp=page",
                headers: ["x-ms-page-write": "clear", "x-ms-range": "bytes=0-\(size - 1)"])
            #expect(cleared.status == 201)
            let after = try await HTTPExchange.send("GET", uri, headers: ["x-ms-range": end])
            #expect(after.body == Data(count: 512))
        }
    }

    @Test func ifMatchAndHeadErrorsWithoutBody() async throws {
        try await EmulatorFixture.run(pageBlobs: 0) { fixture in
            let put = try await Self.upload(fixture, "doc", "v1")
            let uri = fixture.sasURI(blob: "doc")
            let stale = try await HTTPExchange.send(
                "PUT", uri, headers: ["x-ms-blob-type": "BlockBlob", "If-Match": "\"0x0\""], body: Data("v2".utf8))
            #expect(stale.status == 412)
            #expect(stale.header("x-ms-error-code") == "ConditionNotMet")
            let fresh = try await HTTPExchange.send(
                "PUT", uri, headers: ["x-ms-blob-type": "BlockBlob", "If-Match": put.header("etag") ?? ""],
                body: Data("v2".utf8))
            #expect(fresh.status == 201)
            let head = try await HTTPExchange.send("HEAD", uri)
            #expect(head.status == 200)
            #expect(head.header("content-length") == "2")
            #expect(head.header("x-ms-blob-type") == "BlockBlob")
            let missing = try await HTTPExchange.send("HEAD", fixture.sasURI(blob: "nothing"))
            #expect(missing.status == 404)
            #expect(missing.header("x-ms-error-code") == "BlobNotFound")
            #expect(missing.body.isEmpty)
        }
    }

    @Test func dateConditions() async throws {
        try await EmulatorFixture.run(pageBlobs: 0) { fixture in
            let put = try await Self.upload(fixture, "dated", "v1")
            let modified = try #require(put.header("last-modified"))
            let uri = fixture.sasURI(blob: "dated")
            let unchanged = try await HTTPExchange.send("GET", uri, headers: ["If-Modified-Since": modified])
            #expect(unchanged.status == 304)
            let old = "Mon, 01 Jan 2001 00:00:00 GMT"
            let changed = try await HTTPExchange.send("GET", uri, headers: ["If-Modified-Since": old])
            #expect(changed.status == 200)
            let stale = try await HTTPExchange.send("GET", uri, headers: ["If-Unmodified-Since": old])
            #expect(stale.status == 412)
            let write = try await HTTPExchange.send(
                "PUT", uri + "&comp=metadata", headers: ["If-Unmodified-Since": old, "x-ms-meta-a": "b"])
            #expect(write.status == 412)
        }
    }

    @Test func metadataReadAndWrite() async throws {
        try await EmulatorFixture.run(pageBlobs: 1) { fixture in
            let uri = fixture.sasURI(blob: "disk0")
            let set = try await HTTPExchange.send("PUT", uri + "&comp=metadata", headers: ["x-ms-meta-state": "frozen"])
            #expect(set.status == 200)
            let read = try await HTTPExchange.send("GET", uri + "&comp=metadata")
            #expect(read.status == 200)
            #expect(read.header("x-ms-meta-state") == "frozen")
            #expect(read.body.isEmpty)
        }
    }

    @Test func snapshotCountLimit() async throws {
        let configuration = EmulatorConfiguration(snapshotLimit: 3)
        try await EmulatorFixture.run(pageBlobs: 1, configuration: configuration) { fixture in
            let uri = fixture.sasURI(blob: "disk0") + "&comp=snapshot"
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await HTTPExchange.send("PUT", uri).status) }
            #expect(statuses == [201, 201, 201, 409])
            let refused = try await HTTPExchange.send("PUT", uri)
            #expect(refused.header("x-ms-error-code") == "SnapshotCountExceeded")
            #expect(refused.text.contains("The snapshot count against this blob has been exceeded."))
        }
    }

    @Test func defaultLimitIsOneHundred() async throws {
        try await EmulatorFixture.run(pageBlobs: 1) { fixture in
            let uri = fixture.sasURI(blob: "disk0") + "&comp=snapshot"
            for _ in 0..<100 { _ = try await HTTPExchange.send("PUT", uri) }
            #expect(fixture.emulator.snapshots(container: "vhds", blob: "disk0").count == 100)
            let refused = try await HTTPExchange.send("PUT", uri)
            #expect(refused.status == 409)
        }
    }

    @Test func snapshotRateLimit() async throws {
        let configuration = EmulatorConfiguration(snapshotMinimumInterval: 600)
        try await EmulatorFixture.run(pageBlobs: 2, configuration: configuration) { fixture in
            let first = try await HTTPExchange.send("PUT", fixture.sasURI(blob: "disk0") + "&comp=snapshot")
            #expect(first.status == 201)
            let second = try await HTTPExchange.send("PUT", fixture.sasURI(blob: "disk0") + "&comp=snapshot")
            #expect(second.status == 409)
            #expect(second.header("x-ms-error-code") == "SnapshotOperationRateExceeded")
            let other = try await HTTPExchange.send("PUT", fixture.sasURI(blob: "disk1") + "&comp=snapshot")
            #expect(other.status == 201, "the limit is per blob")
        }
    }

    @Test func pageWritesAndResize() async throws {
        try await EmulatorFixture.run(pageBlobs: 1, blobSize: 2048) { fixture in
            let uri = fixture.sasURI(blob: "disk0")
            let page = Data(repeating: 7, count: 512)
            let write = try await HTTPExchange.send(
                "PUT", uri + "&comp=page",
                headers: ["x-ms-page-write": "update", "x-ms-range": "bytes=512-1023"], body: page)
            #expect(write.status == 201)
            let misaligned = try await HTTPExchange.send(
                "PUT", uri + "&comp=page",
                headers: ["x-ms-page-write": "update", "x-ms-range": "bytes=100-611"], body: page)
            #expect(misaligned.status == 400)
            let beyond = try await HTTPExchange.send(
                "PUT", uri + "&comp=page",
                headers: ["x-ms-page-write": "update", "x-ms-range": "bytes=2048-2559"], body: page)
            #expect(beyond.status == 416)
            let overflowing = try await HTTPExchange.send(
                "PUT", uri + "&comp=page",
                headers: ["x-ms-page-write": "clear", "x-ms-range": "bytes=0-\(Int.max)"])
            #expect(overflowing.status == 400, "a range ending at Int.max has no end offset")
            let content = try #require(fixture.emulator.blobContent(container: "vhds", blob: "disk0"))
            #expect(content[512..<1024] == page)
            #expect(content[0..<512].allSatisfy { $0 == 0 })
            let resize = try await HTTPExchange.send(
                "PUT", uri + "&comp=properties", headers: ["x-ms-blob-content-length": "1024"])
            #expect(resize.status == 200)
            #expect(fixture.emulator.blobContent(container: "vhds", blob: "disk0")?.count == 1024)
        }
    }

    @Test func appendNeedsVersion2015() async throws {
        try await EmulatorFixture.run(pageBlobs: 0) { fixture in
            let modern = fixture.sasURI(blob: "log", permissions: "rcwa", version: "2020-12-06")
            let create = try await HTTPExchange.send("PUT", modern, headers: ["x-ms-blob-type": "AppendBlob"])
            #expect(create.status == 201)
            let append = try await HTTPExchange.send("PUT", modern + "&comp=appendblock", body: Data("line\n".utf8))
            #expect(append.status == 201)
            #expect(append.header("x-ms-blob-append-offset") == "0")
            let legacy = fixture.sasURI(blob: "log", permissions: "rcwa", version: "2014-02-14")
            let refused = try await HTTPExchange.send("PUT", legacy + "&comp=appendblock", body: Data("x".utf8))
            #expect(refused.status == 400)
            #expect(fixture.emulator.blobContent(container: "vhds", blob: "log") == Data("line\n".utf8))
        }
    }

    @Test func deleteSnapshotsSemantics() async throws {
        try await EmulatorFixture.run(pageBlobs: 1) { fixture in
            let uri = fixture.sasURI(blob: "disk0", permissions: "rcwd")
            let snapshot = try await HTTPExchange.send("PUT", uri + "&comp=snapshot")
            let time = try #require(snapshot.header("x-ms-snapshot"))
            let refused = try await HTTPExchange.send("DELETE", uri)
            #expect(refused.status == 409)
            #expect(refused.header("x-ms-error-code") == "SnapshotsPresent")
            let one = try await HTTPExchange.send("DELETE", uri + "&snapshot=\(time)")
            #expect(one.status == 202)
            #expect(fixture.emulator.snapshots(container: "vhds", blob: "disk0").isEmpty)
            let base = try await HTTPExchange.send("DELETE", uri)
            #expect(base.status == 202)
            #expect(fixture.emulator.blobContent(container: "vhds", blob: "disk0") == nil)
        }
    }
}
