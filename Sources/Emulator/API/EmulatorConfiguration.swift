import Foundation
import NIOCore

/// How a `BlobEmulator` listens, which accounts it knows and how it behaves.
public struct EmulatorConfiguration: Sendable {
    /// The well-known development account every Azure tool knows.
    public static let developmentAccount = "devstoreaccount1"
    /// The published key of `devstoreaccount1` (public by design, not a secret).
    public static let developmentKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    /// The port the ecosystem's emulators use for the blob service.
    public static let conventionalPort = 10000

    /// Address to bind (loopback by default).
    public var host: String
    /// Port to bind; 0 picks a free ephemeral port.
    public var port: Int
    /// Account name -> base64 account key.
    public var accounts: [String: String]
    /// When set, the store is loaded from and saved to `DIR/store.json`.
    public var dataDirectory: String?
    /// Fault rules applied from the start (replace them with `BlobEmulator.setFaults`).
    public var faults: [FaultRule]
    /// Most snapshots a page blob may hold (Azure: 100).
    public var snapshotLimit: Int
    /// Least time between two snapshots of one blob (premium page blobs); nil = no limit.
    public var snapshotMinimumInterval: TimeInterval?
    /// How many requests the journal keeps (oldest dropped first).
    public var journalCapacity: Int
    /// Event loop threads serving connections.
    public var threads: Int
    /// Serve https with this certificate (nil: plain http).
    public var tls: EmulatorCertificate?
    /// A connection that sends nothing for this long is closed: a request whose head never completes, or an idle
    /// keep-alive connection (half-open requests held every descriptor and blocked valid clients).
    public var idleTimeout: Duration
    /// A request head must be complete this long after the connection opened or the previous answer went out: a
    /// client that trickles header bytes (each one resetting the idle timer) is closed all the same.
    public var headerTimeout: Duration
    /// The largest request body served (Blob Storage's own limits are lower for pages and blocks); a request
    /// announcing or sending more is answered 413 without its body being kept.
    public var maximumBodyBytes: Int
    /// The VM the emulator's WireServer backup host service snapshots (presnapshot/dosnapshot); nil: the host
    /// answers 404 VMNotRegistered.
    public var hostVM: HostVM?

    public init(
        host: String = "127.0.0.1", port: Int = 0,
        accounts: [String: String] = [developmentAccount: developmentKey],
        dataDirectory: String? = nil, faults: [FaultRule] = [], snapshotLimit: Int = 100,
        snapshotMinimumInterval: TimeInterval? = nil, journalCapacity: Int = 10_000,
        threads: Int = System.coreCount, tls: EmulatorCertificate? = nil, idleTimeout: Duration = .seconds(60),
        headerTimeout: Duration = .seconds(60), maximumBodyBytes: Int = 256 << 20,
        hostVM: HostVM? = nil
    ) {
        self.hostVM = hostVM
        self.host = host
        self.port = port
        self.accounts = accounts
        self.dataDirectory = dataDirectory
        self.faults = faults
        self.snapshotLimit = snapshotLimit
        self.snapshotMinimumInterval = snapshotMinimumInterval
        self.journalCapacity = journalCapacity
        self.threads = max(1, threads)
        self.tls = tls
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.maximumBodyBytes = max(0, maximumBodyBytes)
    }

    /// Reads an accounts file: a JSON object mapping account name to base64 key.
    public static func loadAccounts(path: String) throws(EmulatorConfigurationError) -> [String: String] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .invalid(path: path, field: "$", expected: "a JSON object mapping account name to base64 key")
        }
        var accounts: [String: String] = [:]
        for (name, value) in object {
            guard let key = value as? String, let decoded = Data(base64Encoded: key), !decoded.isEmpty else {
                throw .invalid(path: path, field: "$.\(name)", expected: "a non-empty base64 account key")
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber }) else {
                throw .invalid(path: path, field: "$.\(name)", expected: "an account name of letters and digits")
            }
            accounts[name] = key
        }
        guard !accounts.isEmpty else {
            throw .invalid(path: path, field: "$", expected: "at least one account")
        }
        return accounts
    }
}

extension EmulatorConfiguration {
    /// Reads a faults file: a JSON array of `FaultRule` objects.
    public static func loadFaults(path: String) throws(EmulatorConfigurationError) -> [FaultRule] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        return try AdminEndpoint.decodeRules(data, source: path)
    }
}

extension EmulatorConfiguration {
    /// Reads a host VM file (`HostVM`'s JSON form); the error names the file, the field and what was expected.
    public static func loadHostVM(path: String) throws(EmulatorConfigurationError) -> HostVM {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        do {
            return try JSONDecoder().decode(HostVM.self, from: data)
        } catch let error as DecodingError {
            throw .invalid(
                path: path, field: BlobStore.describe(error),
                expected:
                    "{\"disks\": [{\"lun\": -1 to 63, \"container\": ..., \"blob\": ..., \"directDrive\": false}]}")
        } catch {
            throw .invalid(path: path, field: "$", expected: "JSON")
        }
    }
}

/// A bad emulator input file; the message names the file, the JSON path and what was expected.
public enum EmulatorConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalid(path: String, field: String, expected: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
        case .invalid(let path, let field, let expected): "\(path): \(field): expected \(expected)"
        }
    }
}
