import ArgumentParser
import Core
import Foundation

/// `vmsnap fleet --once`: many VMs' status blobs read once, one row per VM, worst first.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Read many VMs' status blobs once and print one row per VM, worst first.",
        discussion: """
            --container SAS_URI (a container SAS with r and l in sp) makes every blob of the container a VM, named \
            by the blob (listed page by page); --vms FILE lists one VM a line, 'NAME SAS_URI' (the status blob, with r in sp); blank lines and # \
            comments are ignored; a bad line is an error naming the file and line (exit 64). Every blob is read \
            concurrently on one libcurl multi handle (connections to a storage host are shared). Rows are sorted \
            STUCK, FAILED, WARNING, RUNNING, SUCCEEDED, then NO JOB (unreadable blobs first, then VMs without a \
            status blob yet), with the code, the document's age, failed disks and the cause. --json prints schema \
            \(FleetReport.schema). Exit status: the worst VM's, as status --once has it (0 every VM succeeded). \
            The live fleet screen is not built yet: --once is required.
            """)

    @Option(help: "The VMs: one 'NAME SAS_URI' a line.") var vms: String?
    @Option(help: "A container SAS URI (sp with r and l): each blob in it is a VM's status blob, named by the blob.")
    var container: String?
    @Flag(help: "Read every status blob once and print (required).") var once = false
    @Flag(help: "Print JSON (schema \(FleetReport.schema)).") var json = false
    @Option(help: "Longest wait for one status blob, in seconds (1 to 300).") var timeout: Double = 10
    @Option(help: "Most status blobs read at once (1 to 1024).") var concurrency = 64
    @OptionGroup var trust: TrustOptions
    @Option(help: "vmsnap's configuration file (its caBundle verifies the storage endpoints).") var config: String?

    func validate() throws {
        guard vms != nil || container != nil else {
            throw ValidationError("give --vms FILE, --container SAS_URI or both")
        }
        guard once else { throw ValidationError("add --once (the live fleet screen is not built yet)") }
        guard (1...300).contains(timeout) else { throw ValidationError("--timeout: expected 1 to 300 seconds") }
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency: expected 1 to 1024") }
    }

    func run() async throws {
        let configuration: VMSnapConfiguration?
        do {
            configuration = try config.map { path throws(ConfigurationError) in try VMSnapConfiguration.load(path: path)
            }
        } catch {
            TerminalOutput.standardError("Error: \(error.description)\n")
            throw ExitCode.validationFailure
        }
        let client = trust.blobClient(configuration)
        let wait = Duration.milliseconds(Int(timeout * 1000))
        var targets: [FleetTarget] = []
        do {
            if let vms {
                let text = try String(contentsOfFile: vms, encoding: .utf8)
                targets += try FleetInventory.parse(text, file: vms)
            }
            if let container { targets += try await FleetContainer(container).targets(client: client, timeout: wait) }
        } catch let error as FleetInventoryError {
            TerminalOutput.standardError("Error: \(error.description)\n")
            throw ExitCode.validationFailure
        } catch {
            TerminalOutput.standardError("Error: cannot read \(vms ?? ""): \(error.localizedDescription)\n")
            throw ExitCode.validationFailure
        }
        let rows = await FleetPoller(targets, client: client, timeout: wait, concurrency: concurrency).cycle()
        let report = FleetReport(rows: rows, generatedAt: Date())
        if json {
            FileHandle.standardOutput.write(report.json())
        } else {
            TerminalOutput.standardOutput(report.text())
        }
        if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
    }
}
