import ArgumentParser
import Core
import Dispatch
import Emulator
import Foundation

/// `vmsnap emulator`: the local Azure-Blob-compatible endpoint, and `vmsnap emulator sas` to sign URIs for it.
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator", abstract: "Serve a local Azure Blob endpoint that verifies SAS signatures.",
        subcommands: [ServeEmulatorCommand.self, EmulatorSASCommand.self], defaultSubcommand: ServeEmulatorCommand.self)
}

/// `vmsnap emulator [serve]`: serves until SIGINT / SIGTERM.
struct ServeEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the emulator until interrupted (the default).")

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind (0 picks a free one).") var port = EmulatorConfiguration.conventionalPort
    @Option(help: "JSON file mapping account name to base64 key (default: devstoreaccount1 only).")
    var accounts: String?
    @Option(name: .customLong("data-dir"), help: "Directory to load the store from and save it to on exit.")
    var dataDirectory: String?
    @Option(help: "JSON file with an array of fault rules.") var faults: String?
    @Option(
        name: .customLong("host-vm"),
        help:
            "JSON file with the VM the WireServer backup host service snapshots ({\"disks\": [{\"lun\": -1, \"container\": ..., \"blob\": ...}]}); presnapshot/dosnapshot are served at /metadata/recsvc/snapshot/."
    )
    var hostVM: String?
    @Option(help: "Least seconds between two snapshots of one blob (409 SnapshotOperationRateExceeded).")
    var snapshotInterval: Double?
    @Flag(
        help:
            "Serve https with a throw-away self-signed certificate made at start (for 127.0.0.1, ::1, localhost, --host)."
    )
    var tls = false
    @Option(
        name: .customLong("write-ca"),
        help: ArgumentHelp("With --tls: write the certificate (PEM) here, for clients' --ca-bundle.", valueName: "file")
    )
    var writeCA: String?
    @Option(
        name: .customLong("container"),
        help: ArgumentHelp("Create this container at start (repeatable).", valueName: "name"))
    var containers: [String] = []

    func validate() throws {
        if writeCA != nil && !tls { throw ValidationError("--write-ca needs --tls") }
    }

    func run() async throws {
        var configuration = EmulatorConfiguration(host: host, port: port)
        if tls {
            do throws(EmulatorCertificateError) {
                let certificate = try EmulatorCertificate.generate(hosts: [host])
                if let writeCA { try certificate.writeCertificate(to: writeCA) }
                configuration.tls = certificate
            } catch {
                throw ValidationError(error.description)
            }
        }
        do {
            if let accounts { configuration.accounts = try EmulatorConfiguration.loadAccounts(path: accounts) }
            if let faults { configuration.faults = try EmulatorConfiguration.loadFaults(path: faults) }
            if let hostVM { configuration.hostVM = try EmulatorConfiguration.loadHostVM(path: hostVM) }
        } catch {
            throw ValidationError(error.description)
        }
        configuration.dataDirectory = dataDirectory
        configuration.snapshotMinimumInterval = snapshotInterval
        let emulator = BlobEmulator(configuration: configuration)
        let bound = try await emulator.start()
        for container in containers { emulator.createContainer(container: container) }
        let banner =
            "vmsnap emulator listening on \(emulator.baseURL) (port \(bound); accounts: "
            + configuration.accounts.keys.sorted().joined(separator: ", ")
            + "; admin: /_admin/faults, /_admin/journal; WireServer: /metadata/recsvc/snapshot/"
            + (writeCA.map { "; certificate: \($0)" } ?? "") + ")\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        await Self.waitForTermination()
        try await emulator.stop()
        print("vmsnap emulator stopped")
    }

    /// Suspends until SIGINT or SIGTERM arrives.
    static func waitForTermination() async {
        let signals = [SIGINT, SIGTERM]
        for signal in signals { Foundation.signal(signal, SIG_IGN) }
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        let sources = signals.map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        for await _ in stream { break }
        sources.forEach { $0.cancel() }
    }
}

/// `vmsnap emulator sas`: prints a signed SAS URI for the emulator (blob SAS, or container SAS without --blob).
struct EmulatorSASCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sas", abstract: "Print a signed SAS URI for a blob (or a container) on the emulator.")

    @Option(help: "Storage account.") var account = EmulatorConfiguration.developmentAccount
    @Option(help: "Container.") var container: String
    @Option(help: "Blob (omit for a container SAS, sr=c).") var blob: String?
    @Option(help: "Permission letters (r w c a d l).") var permissions = "rw"
    @Option(help: "Service version, e.g. 2014-02-14 or 2020-12-06.") var version = "2014-02-14"
    @Option(help: "Start time, ISO 8601 UTC (default: none).") var start: String?
    @Option(help: "Expiry time, ISO 8601 UTC (default: 24 hours from now).") var expiry: String?
    @Option(help: "Host the URI names.") var host = "127.0.0.1"
    @Option(help: "Port the URI names.") var port = EmulatorConfiguration.conventionalPort
    @Option(help: "JSON file mapping account name to base64 key.") var accounts: String?
    @Flag(help: "Name https (an emulator serving --tls).") var tls = false

    func run() throws {
        var configuration = EmulatorConfiguration(host: host, port: port)
        if let accounts {
            do {
                configuration.accounts = try EmulatorConfiguration.loadAccounts(path: accounts)
            } catch {
                throw ValidationError(error.description)
            }
        }
        guard configuration.accounts[account] != nil else {
            throw ValidationError("--account: no key for '\(account)' (known: \(configuration.accounts.keys.sorted()))")
        }
        guard version.wholeMatch(of: #/\d{4}-\d{2}-\d{2}/#) != nil else {
            throw ValidationError("--version: expected a service version like 2014-02-14, got '\(version)'")
        }
        let expiryDate = try Self.date(expiry, option: "--expiry") ?? Date().addingTimeInterval(24 * 3600)
        let startDate = try Self.date(start, option: "--start")
        let parameters = SASParameters(
            version: version, resource: blob == nil ? "c" : "b", permissions: permissions,
            start: startDate.map(SASParameters.format), expiry: SASParameters.format(expiryDate))
        let uri = BlobEmulator(configuration: configuration).signedURI(
            account: account, container: container, blob: blob, parameters: parameters)
        print(tls ? "https" + uri.dropFirst("http".count) : uri)
    }

    private static func date(_ text: String?, option: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = SASBlobURI.parseSASDate(text) else {
            throw ValidationError("\(option): expected an ISO 8601 UTC time like 2030-01-01T00:00:00Z, got '\(text)'")
        }
        return date
    }
}
