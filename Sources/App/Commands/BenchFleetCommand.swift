import ArgumentParser
import Benchmarks
import Core
import Emulator
import Foundation

/// `vmsnap bench fleet`: what one `fleet` poll cycle of N VMs costs: CPU, memory, requests and connections.
struct BenchFleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Measure one fleet poll cycle of N VMs' status blobs against a local emulator.",
        discussion: """
            Starts an emulator in a process of its own on loopback (plain HTTP/1.1), writes N status blobs (vmsnap documents of a \
            succeeded job, two disks), then reads them all C times as the fleet poller does (one blob client, at \
            most --concurrency requests at once, a conditional GET with each blob's last ETag: cycles after the \
            first get 304s). Prints per cycle: CPU of this process (the emulator's is not in it), the share of \
            one core at --interval, requests, new connections; then this process's peak resident memory.
            """)

    @Option(help: "VMs (status blobs) per cycle (1 to 100000).") var vms = 1000
    @Option(help: "Poll cycles to measure.") var cycles = 5
    @Option(help: "The poll interval the CPU share is computed for, in seconds.") var interval = 30.0
    @Option(help: "Most status blobs read at once.") var concurrency = 64

    func validate() throws {
        guard (1...100_000).contains(vms) else { throw ValidationError("--vms: expected 1 to 100000") }
        guard (1...100).contains(cycles) else { throw ValidationError("--cycles: expected 1 to 100") }
        guard interval >= 1 else { throw ValidationError("--interval: expected at least 1 second") }
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency: expected 1 to 1024") }
    }

    func run() async throws {
        // The emulator runs as a process of its own, so the figures below are the fleet poller's alone.
        let container = "status"
        let child = try EmulatorChild.start(containers: [container])
        defer { child.stop() }
        // Signs the child's SAS URIs (same development account and key); never started here.
        let emulator = BlobEmulator(configuration: EmulatorConfiguration(host: "127.0.0.1", port: child.port))
        let writer = BlobClient()
        var targets: [FleetTarget] = []
        let document = try JSONEncoder().encode([Self.succeededDocument()])
        for index in 0..<vms {
            let name = String(format: "vm-%05d", index)
            let uri = try SASBlobURI(
                emulator.sasURI(
                    container: container, blob: "\(name).status", permissions: "rcw", version: "2014-02-14",
                    expiry: Date().addingTimeInterval(3600)))
            let answer = try await writer.putBlockBlob(uri, body: document, contentType: "application/json")
            guard answer.status == 201 else { throw ValidationError("writing \(name)'s status blob: \(answer.status)") }
            targets.append(FleetTarget(name: name, statusBlob: uri))
        }
        let client = BlobClient()
        let poller = FleetPoller(targets, client: client, timeout: .seconds(30), concurrency: concurrency)
        print(
            "fleet poll cycle: \(vms) VMs, concurrency \(concurrency), interval \(Int(interval)) s, HTTP/1.1 on loopback"
        )
        for cycle in 1...cycles {
            let before = (cpu: JobCPU.now(), statistics: client.statistics, clock: ContinuousClock.now)
            let rows = await poller.cycle()
            let took = ContinuousClock.now - before.clock
            let cpu = JobCPU.now().since(before.cpu)
            let statistics = client.statistics
            let requests = statistics.totalRequests - before.statistics.totalRequests
            let connections = statistics.connections.count - before.statistics.connections.count
            let succeeded = rows.filter { $0.verdict == .succeeded }.count
            print(
                "cycle \(cycle): CPU \(String(format: "%.1f", cpu)) ms ("
                    + String(format: "%.3f", cpu / (interval * 1000) * 100) + " % of a core at \(Int(interval)) s), "
                    + "wall \(String(format: "%.0f", Double(took / .milliseconds(1)))) ms, \(requests) requests, "
                    + "\(connections) new connections, \(succeeded)/\(vms) rows SUCCEEDED")
        }
        let memory = UIBenchmark.residentMemory().value
        print(
            "peak resident memory: \(String(format: "%.1f", memory)) MB (VmHWM of the fleet process; the emulator runs apart)"
        )
    }

    /// A succeeded job's status blob document (two disks).
    private static func succeededDocument() -> StatusBlobDocument {
        let disks = (0..<2).map {
            DiskProgress(
                index: $0, blobURI: "https://acct.blob.core.windows.net/vhds/disk\($0).vhd", account: "acct",
                container: "vhds", blob: "disk\($0).vhd", state: .succeeded, attempts: 1)
        }
        var report = JobReport(taskID: UUID().uuidString, commandStartTicks: nil, disks: disks)
        report.finished = true
        report.code = .success
        report.healthStatusCode = .success
        report.status = .success
        report.lastSuccessUTC = ISO8601Timestamp.format(report.updated)
        return report.blobDocument()
    }
}
