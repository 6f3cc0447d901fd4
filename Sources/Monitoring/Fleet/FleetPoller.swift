import Basics
import Engine
import Foundation
import Synchronization

/// Reads every VM's status blob, concurrently, on one blob client (one libcurl multi handle: connections to a
/// storage host are shared). Each VM keeps its own poller across cycles: a conditional GET with the last ETag, so
/// an unchanged document costs a 304 and no parsing; its row is judged again at each cycle (a running job turns
/// stuck as it ages). A VM whose polls fail (a missing blob, 404, is no failure) is backed off (its poller's delay,
/// doubling up to a minute) and keeps its last document, shown with the failure and when it was last read.
public final class FleetPoller: Sendable {
    private struct Member: Sendable {
        let target: FleetTarget
        let poller: StatusBlobPoller
    }

    /// What the poller knows of one VM between cycles.
    private struct Memory: Sendable {
        var document: JobSnapshot?
        /// The last failure when no document is known (nil with no document: the blob does not exist yet).
        var error: String?
        var read: SourceFreshness
        /// No request before this moment (backoff after failures).
        var retryAt: Date?
    }

    private let members: [Member]
    private let concurrency: Int
    private let memory: Mutex<[Memory]>

    /// `interval` is the time between cycles: a row not read for three of them (plus 2 s) is stale.
    public init(
        _ targets: [FleetTarget], client: BlobClient, timeout: Duration, concurrency: Int = 64,
        interval: TimeInterval = StatusBlobPoller.minimumInterval
    ) {
        members = targets.map { target in
            Member(
                target: target,
                poller: StatusBlobPoller(
                    fetcher: BlobStatusFetcher(uri: target.statusBlob, client: client, timeout: timeout),
                    interval: interval))
        }
        let freshness = SourceFreshness(
            name: MonitorSourceLocations.statusBlobName, staleAfter: MonitorSourceLocations.staleAfter(interval))
        memory = Mutex(Array(repeating: Memory(read: freshness), count: targets.count))
        self.concurrency = max(1, concurrency)
    }

    /// Polls every VM once (at most `concurrency` requests in flight; VMs in backoff are not asked, their rows
    /// judged again) and returns one row each, worst first.
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
        let due = memory.withLock { $0[index].retryAt.map { now >= $0 } ?? true }
        if due {
            let outcome = await member.poller.poll()
            let delay = await member.poller.nextDelay
            memory.withLock { all in
                var known = all[index]
                switch outcome {
                case .updated(let job):
                    (known.document, known.error, known.retryAt) = (job, nil, nil)
                    known.read.recordSuccess(at: now)
                case .unchanged:
                    if known.document == nil { known.error = "304 without an earlier document" }
                    known.retryAt = nil
                    known.read.recordSuccess(at: now)
                case .failed(let message) where message.hasPrefix("404 "):
                    // The storage answered: the blob does not exist (yet). No job, nothing stale to show, and
                    // no backoff: the job's first status may come at any cycle.
                    (known.document, known.error, known.retryAt) = (nil, nil, nil)
                    known.read.recordSuccess(at: now)
                case .failed(let message):
                    if known.document == nil { known.error = message }
                    known.retryAt = now.addingTimeInterval(delay)
                    known.read.recordFailure(message, at: now)
                }
                all[index] = known
            }
        }
        let known = memory.withLock { $0[index] }
        let (name, blob) = (member.target.name, member.target.statusBlob.blobURI)
        var row =
            known.document.map { FleetRow(name: name, statusBlob: blob, job: $0, now: now) }
            ?? FleetRow(name: name, statusBlob: blob, error: known.error)
        row.read = known.read
        return row
    }
}
