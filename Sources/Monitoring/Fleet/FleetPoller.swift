import Basics
import Engine
import Foundation
import Synchronization

/// Reads every VM's status blob, concurrently, on one blob client (one libcurl multi handle: connections to a
/// storage host are shared). Each VM keeps its own poller across cycles: a conditional GET with the last ETag, so
/// an unchanged document costs a 304 and no parsing; its row is judged again at each cycle (a running job turns
/// stuck as it ages).
public final class FleetPoller: Sendable {
    private struct Member: Sendable {
        let target: FleetTarget
        let poller: StatusBlobPoller
    }

    private let members: [Member]
    private let concurrency: Int
    /// The last document read of each VM, by index.
    private let documents: Mutex<[Int: JobSnapshot]> = Mutex([:])

    public init(_ targets: [FleetTarget], client: BlobClient, timeout: Duration, concurrency: Int = 64) {
        members = targets.map { target in
            Member(
                target: target,
                poller: StatusBlobPoller(
                    fetcher: BlobStatusFetcher(uri: target.statusBlob, client: client, timeout: timeout),
                    interval: StatusBlobPoller.minimumInterval))
        }
        self.concurrency = max(1, concurrency)
    }

    /// Polls every VM once (at most `concurrency` requests in flight) and returns one row each, worst first.
    public func cycle(now: Date = Date()) async -> [FleetRow] {
        let rows = await withTaskGroup(of: FleetRow.self) { group in
            var rows: [FleetRow] = []
            for index in members.indices {
                if index >= concurrency, let row = await group.next() { rows.append(row) }
                group.addTask { await self.row(index, now: now) }
            }
            for await row in group { rows.append(row) }
            return rows
        }
        return FleetRow.worstFirst(rows)
    }

    private func row(_ index: Int, now: Date) async -> FleetRow {
        let member = members[index]
        let (name, blob) = (member.target.name, member.target.statusBlob.blobURI)
        switch await member.poller.poll() {
        case .updated(let job):
            documents.withLock { $0[index] = job }
            return FleetRow(name: name, statusBlob: blob, job: job, now: now)
        case .unchanged:
            guard let job = documents.withLock({ $0[index] }) else {
                return FleetRow(name: name, statusBlob: blob, error: "304 without an earlier document")
            }
            return FleetRow(name: name, statusBlob: blob, job: job, now: now)
        case .failed(let message):
            documents.withLock { _ = $0.removeValue(forKey: index) }
            return FleetRow(name: name, statusBlob: blob, error: message.hasPrefix("404 ") ? nil : message)
        }
    }
}
