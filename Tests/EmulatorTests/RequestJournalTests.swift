import Foundation
import Testing

@testable import Emulator

/// The journal is bounded by bytes as well as by count: huge requests cannot grow it without end (it plateaued
/// around 800 MiB).
@Suite struct RequestJournalTests {
    private func request(_ number: Int, uriBytes: Int, headerBytes: Int = 10) -> RecordedRequest {
        RecordedRequest(
            time: Date(), method: "PUT", uri: "/acct/c/b\(number)?" + String(repeating: "q", count: uriBytes),
            operation: nil, headers: [("x-big", String(repeating: "h", count: headerBytes))], status: 201,
            errorCode: nil, requestID: "r\(number)", fault: nil)
    }

    @Test func oldestEntriesGoWhenTheBytesRunOut() {
        let journal = RequestJournal(capacity: 10_000, maximumBytes: 64 << 10)
        for number in 0..<1000 { journal.record(request(number, uriBytes: 1000)) }
        #expect(journal.bytes <= 64 << 10)
        let entries = journal.entries
        #expect(entries.count < 100 && entries.count > 10)
        #expect(entries.last?.requestID == "r999", "the newest entry is kept")
    }

    @Test func oneHugeRequestIsCutToWhatTheJournalKeeps() {
        let journal = RequestJournal(capacity: 10)
        journal.record(request(0, uriBytes: 8 << 20, headerBytes: 8 << 20))
        #expect(journal.bytes < 16 << 10)
        #expect(journal.entries.first?.path.utf8.count == RecordedRequest.longestText)
    }

    @Test func theCountStillBounds() {
        let journal = RequestJournal(capacity: 5)
        for number in 0..<20 { journal.record(request(number, uriBytes: 10)) }
        #expect(journal.entries.map(\.requestID) == ["r15", "r16", "r17", "r18", "r19"])
    }
}
