import Basics
import Engine
import Foundation

/// Reads every VM's status blob once, concurrently, on one blob client (one libcurl multi handle: connections to a
/// storage host are shared).
public enum FleetPoll {
    /// One row per target, worst first. At most `concurrency` requests are in flight; each ends within `timeout`.
    public static func once(
        _ targets: [FleetTarget], client: BlobClient, timeout: Duration, concurrency: Int = 64, now: Date = Date()
    ) async -> [FleetRow] {
        let limit = max(1, concurrency)
        let rows = await withTaskGroup(of: FleetRow.self) { group in
            var rows: [FleetRow] = []
            for (index, target) in targets.enumerated() {
                if index >= limit, let row = await group.next() { rows.append(row) }
                group.addTask { await row(for: target, client: client, timeout: timeout, now: now) }
            }
            for await row in group { rows.append(row) }
            return rows
        }
        return FleetRow.worstFirst(rows)
    }

    private static func row(for target: FleetTarget, client: BlobClient, timeout: Duration, now: Date) async
        -> FleetRow
    {
        let fetcher = BlobStatusFetcher(uri: target.statusBlob, client: client, timeout: timeout)
        let blob = target.statusBlob.blobURI
        switch await StatusBlobPoller(fetcher: fetcher, interval: StatusBlobPoller.minimumInterval).poll() {
        case .updated(let job): return FleetRow(name: target.name, statusBlob: blob, job: job, now: now)
        case .unchanged: return FleetRow(name: target.name, statusBlob: blob, error: "unexpected 304")
        case .failed(let message):
            return FleetRow(name: target.name, statusBlob: blob, error: message.hasPrefix("404 ") ? nil : message)
        }
    }
}
