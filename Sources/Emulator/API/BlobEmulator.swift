import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A local Azure-Blob-compatible endpoint (path style `http://HOST:PORT/ACCOUNT/CONTAINER/BLOB`, or https with a
/// throw-away certificate) that verifies SAS and Shared Key signatures, keeps blobs in memory, injects faults and
/// journals requests.
public final class BlobEmulator: Sendable {
    public let configuration: EmulatorConfiguration

    private struct Running {
        let group: MultiThreadedEventLoopGroup
        let channel: any Channel
        let port: Int
    }

    /// The life cycle; `start()` claims `.starting` in one locked step, so concurrent starts cannot both bind.
    private enum State {
        case stopped
        case starting
        case running(Running)
    }

    private let store = BlobStore()
    private let faults: FaultInjector
    private let requestJournal: RequestJournal
    private let processor: RequestProcessor
    private let host: HostService
    private let state = Mutex<State>(.stopped)

    public init(configuration: EmulatorConfiguration = EmulatorConfiguration()) {
        self.configuration = configuration
        faults = FaultInjector(rules: configuration.faults)
        requestJournal = RequestJournal(capacity: configuration.journalCapacity)
        let service = BlobService(store: store, configuration: configuration)
        host = HostService(service: service, vm: configuration.hostVM)
        processor = RequestProcessor(service: service, host: host, faults: faults, journal: requestJournal)
    }

    /// Loads the saved store (with a data directory), binds and serves; returns the bound port.
    /// Calling it while running returns the bound port; calling it while another `start()` is still binding
    /// throws `BlobEmulatorError.startInProgress` (only one call ever binds).
    @discardableResult
    public func start() async throws -> Int {
        let claimed = try state.withLock { (state: inout State) throws(BlobEmulatorError) -> Int? in
            switch state {
            case .running(let current): return current.port
            case .starting: throw .startInProgress
            case .stopped:
                state = .starting
                return nil
            }
        }
        if let port = claimed { return port }
        do {
            let current = try await bind()
            state.withLock { $0 = .running(current) }
            host.setBaseURL(baseURL)
            return current.port
        } catch {
            state.withLock { $0 = .stopped }
            throw error
        }
    }

    private func bind() async throws -> Running {
        if let directory = configuration.dataDirectory {
            let loaded = try BlobStore.load(from: directory)
            store.update { $0 = loaded }
        }
        let tls = try configuration.tls.map(Self.tlsContext)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
        let processor = self.processor
        let idle = Self.timeAmount(configuration.idleTimeout)
        let limits = BlobHTTPHandler.Limits(
            headerTimeout: Self.timeAmount(configuration.headerTimeout),
            maximumBodyBytes: configuration.maximumBodyBytes)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 512)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        BlobHTTPHandler(processor: processor, limits: limits))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        return Running(group: group, channel: channel, port: channel.localAddress?.port ?? configuration.port)
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(
            duration.components.seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue
                + duration.components.attoseconds / 1_000_000_000)
    }

    /// A server context for `certificate`, offering HTTP/1.1 by ALPN (as Blob Storage does).
    private static func tlsContext(_ certificate: EmulatorCertificate) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [
                .certificate(try NIOSSLCertificate(bytes: Array(certificate.certificatePEM.utf8), format: .pem))
            ],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem)))
        configuration.applicationProtocols = ["http/1.1"]
        return try NIOSSLContext(configuration: configuration)
    }

    /// Closes every connection, stops serving and saves the store (with a data directory).
    /// While a `start()` is still binding it does nothing.
    public func stop() async throws {
        guard
            let current = state.withLock({ (state: inout State) -> Running? in
                guard case .running(let current) = state else { return nil }
                state = .stopped
                return current
            })
        else { return }
        try? await current.channel.close()
        try await current.group.shutdownGracefully()
        if let directory = configuration.dataDirectory { try store.save(to: directory) }
    }

    /// The bound port while running, else the configured one.
    public var port: Int {
        state.withLock { state in
            guard case .running(let current) = state else { return nil }
            return current.port
        } ?? configuration.port
    }

    /// `http://HOST:PORT`, or `https://` when serving TLS (a wildcard bind address is given as 127.0.0.1).
    public var baseURL: String {
        let host = ["0.0.0.0", "::", ""].contains(configuration.host) ? "127.0.0.1" : configuration.host
        let scheme = configuration.tls == nil ? "http" : "https"
        return "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    // MARK: Seeding and inspection (tests, demo)

    /// Creates the container if it does not exist.
    public func createContainer(account: String = EmulatorConfiguration.developmentAccount, container: String) {
        store.update { state in
            guard state.accounts[account]?[container] == nil else { return }
            state.accounts[account, default: [:]][container] = StoredContainer(
                etag: state.nextETag(), lastModified: Timestamps.nowTicks() / 10_000_000)
        }
    }

    /// Creates (or replaces) an empty page blob of `size` bytes (a multiple of 512), creating the container too.
    public func createPageBlob(
        account: String = EmulatorConfiguration.developmentAccount, container: String, blob: String, size: Int,
        metadata: [String: String] = [:]
    ) {
        precondition(size >= 0 && size % 512 == 0, "a page blob's size is a multiple of 512, got \(size)")
        createContainer(account: account, container: container)
        let seconds = Timestamps.nowTicks() / 10_000_000
        store.update { state in
            let version = BlobVersion(
                type: .page, content: SparseBytes(length: size),
                metadata: metadata.sorted { $0.key < $1.key }.map { MetadataPair(name: $0.key, value: $0.value) },
                contentType: "application/octet-stream", etag: state.nextETag(), lastModified: seconds, created: seconds
            )
            state.accounts[account]![container]!.blobs[blob] = StoredBlob(current: version)
        }
    }

    /// A signed blob SAS URI, path style: `BASEURL/ACCOUNT/CONTAINER/BLOB?sv=..&sr=b&..&sig=..`.
    public func sasURI(
        account: String = EmulatorConfiguration.developmentAccount, container: String, blob: String,
        permissions: String = "rcw", version: String = "2014-02-14", start: Date? = nil,
        expiry: Date = Date().addingTimeInterval(24 * 3600)
    ) -> String {
        let parameters = SASParameters(
            version: version, resource: "b", permissions: permissions, start: start.map(SASParameters.format),
            expiry: SASParameters.format(expiry))
        return signedURI(account: account, container: container, blob: blob, parameters: parameters)
    }

    /// A URI signed with any SAS fields (container SAS when `blob` is nil and `parameters.resource` is `c`).
    public func signedURI(
        account: String = EmulatorConfiguration.developmentAccount, container: String, blob: String?,
        parameters: SASParameters
    ) -> String {
        guard let key = configuration.accounts[account],
            let query = parameters.signedQuery(account: account, container: container, blob: blob, key: key)
        else { preconditionFailure("the emulator has no account '\(account)' with a valid key") }
        let path = ([account, container] + (blob.map { [$0] } ?? [])).map {
            $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0
        }
        return "\(baseURL)/\(path.joined(separator: "/"))?\(query)"
    }

    /// Registers the VM the WireServer backup host service snapshots (nil: none).
    public func setHostVM(_ vm: HostVM?) { host.setVM(vm) }

    /// The snapshots the host service took, oldest first.
    public func hostSnapshots() -> [HostSnapshotRecord] { host.snapshots }

    /// The WireServer address a client gives to reach the host service (the emulator's own address).
    public var wireServerURL: String { baseURL }

    /// Replaces the fault rules (and resets `failFirst` counters).
    public func setFaults(_ rules: [FaultRule]) { faults.replace(rules) }

    /// The requests served so far, oldest first (bounded by `journalCapacity`).
    public func journal() -> [JournalEntry] { requestJournal.entries }

    /// The blob's snapshot times (`x-ms-snapshot` values), oldest first; empty when the blob does not exist.
    public func snapshots(account: String = EmulatorConfiguration.developmentAccount, container: String, blob: String)
        -> [String]
    {
        store.update { $0.accounts[account]?[container]?.blobs[blob]?.snapshots.map(\.time) } ?? []
    }

    /// The blob's current content; nil when it does not exist.
    public func blobContent(account: String = EmulatorConfiguration.developmentAccount, container: String, blob: String)
        -> Data?
    {
        let content = store.update { $0.accounts[account]?[container]?.blobs[blob]?.current.content }
        return content.map { Data($0.all) }
    }

    /// The metadata of the blob, or of its snapshot at `snapshot`; nil when absent.
    public func blobMetadata(
        account: String = EmulatorConfiguration.developmentAccount, container: String, blob: String,
        snapshot: String? = nil
    ) -> [String: String]? {
        let stored = store.update { $0.accounts[account]?[container]?.blobs[blob] }
        guard let stored else { return nil }
        let version = snapshot.map { time in stored.snapshots.first { $0.time == time }?.version } ?? stored.current
        return version.map { Dictionary($0.metadata.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }) }
    }
}
