import Basics
import Foundation

/// What a job leaves on the machine besides its status documents: a record in the history journal (in the state
/// folder, beside `mrseq`) and `vmsnap.prom` (when a metrics folder is set), written when the job starts (running)
/// and when it ends. Failures are returned as messages for the job's log: they never change the job's outcome.
final class JobRecorder: Sendable {
    private let history: JobHistory?
    private let metricsDirectory: String?
    private let sasExpiry: Date?
    /// The machine's identity, looked up once, while the job runs.
    private let machine: Task<MachineIdentity, Never>

    init(options: SnapshotJobOptions, settings: JobSettings, client: BlobClient) {
        history = options.stateDirectory.map { JobHistory(directory: $0) }
        metricsDirectory = options.metricsDirectory
        sasExpiry = MetricsFile.sasExpiry(of: settings)
        let lookup = options.identityLookup
        machine = Task {
            await lookup?.resolve(client: client) ?? MachineIdentity(hostname: ProcessInfo.processInfo.hostName)
        }
    }

    /// The end of the newest good snapshot the journal knows, for the status blob's `lastSuccessUTC`.
    var lastSuccess: Date? { history?.lastSuccess() }

    /// The job passed its repeat check: the metrics say a job runs since `date`.
    func started(at date: Date) async -> [String] {
        guard metricsDirectory != nil else { return [] }
        return await writeMetrics(runningSince: date)
    }

    /// The job ended (`endedAt`: its terminal status's time, which `lastSuccessUTC` names too): its record is
    /// appended to the journal, then the metrics are rewritten.
    func finished(
        taskID: String, sequenceNumber: Int?, startedAt: Date, endedAt: Date, result: JobResult,
        consistency: JobReport.Consistency
    ) async -> [String] {
        var problems: [String] = []
        if let history {
            let record = JobHistoryRecord(
                taskID: taskID, sequenceNumber: sequenceNumber, startedAt: startedAt, endedAt: endedAt, result: result,
                consistency: consistency, machine: await machine.value)
            do {
                try history.append(record)
            } catch {
                problems.append("job history not written to \(history.path): \(error)")
            }
        }
        return problems + (await writeMetrics(runningSince: nil))
    }

    private func writeMetrics(runningSince: Date?) async -> [String] {
        guard let metricsDirectory else { return [] }
        let records = (try? history?.read().records) ?? []
        let file = MetricsFile(
            machine: await machine.value, history: records, runningSince: runningSince, sasExpiry: sasExpiry)
        do {
            try file.write(to: metricsDirectory)
            return []
        } catch {
            return ["metrics not written to \(metricsDirectory): \(error)"]
        }
    }
}
