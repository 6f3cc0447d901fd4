import Core
import Foundation

/// Everything the fleet screen shows: the newest poll cycle's rows (worst first, made by the same `FleetPoller`
/// as `fleet --once`) and when that cycle ran. Views render it, they never fetch.
public struct FleetModel: Sendable {
    /// Where the VMs came from, as the title shows it (file names, container URIs redacted).
    public var inventory: String
    /// Seconds between poll cycles.
    public var interval: TimeInterval
    /// One row per VM, worst first.
    public var rows: [FleetRow] = []
    /// When the newest finished cycle started and how long it took; nil before the first one finished.
    public var lastCycle: (at: Date, seconds: TimeInterval)?
    /// A message for the operator to show as a toast, with its severity.
    public var notice: (text: String, role: ColorRole, at: Date)?

    public init(inventory: String, interval: TimeInterval) {
        self.inventory = inventory
        self.interval = interval
    }

    /// Takes a cycle's rows; a cycle longer than the interval says so (the next one starts late).
    public mutating func record(_ rows: [FleetRow], startedAt: Date, finishedAt: Date) {
        self.rows = FleetRow.worstFirst(rows)
        let took = max(0, finishedAt.timeIntervalSince(startedAt))
        lastCycle = (startedAt, took)
        if took > interval {
            let text =
                "the poll cycle took \(RenderContext.duration(took)), longer than the "
                + "\(RenderContext.duration(interval)) interval: raise --interval or --concurrency"
            notice = (text, .warning, finishedAt)
        }
    }

    /// VMs per verdict label in worst-first order (unreadable blobs apart from VMs without a job), for the title.
    public var counts: [(label: String, verdict: Verdict, unreadable: Bool, count: Int)] {
        var result: [(label: String, verdict: Verdict, unreadable: Bool, count: Int)] = []
        for row in rows {
            let unreadable = row.error != nil
            let label = unreadable ? "UNREADABLE" : row.verdict.label
            if let i = result.firstIndex(where: { $0.label == label }) {
                result[i].count += 1
            } else {
                result.append((label, row.verdict, unreadable, 1))
            }
        }
        return result
    }
}
