import Emulator
import Foundation

/// An in-process emulator on an ephemeral loopback port with one container of empty page blobs, for tests.
public final class EmulatorFixture: Sendable {
    public let emulator: BlobEmulator
    public let account: String
    public let container: String
    /// The page blobs created at start: `disk0`, `disk1`, ...
    public let blobs: [String]

    private init(emulator: BlobEmulator, account: String, container: String, blobs: [String]) {
        self.emulator = emulator
        self.account = account
        self.container = container
        self.blobs = blobs
    }

    /// Starts an emulator and creates `container` with `pageBlobs` empty page blobs of `blobSize` bytes.
    public static func start(
        pageBlobs: Int = 1, blobSize: Int = 1 << 20, container: String = "vhds",
        configuration: EmulatorConfiguration = EmulatorConfiguration()
    ) async throws -> EmulatorFixture {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let emulator = BlobEmulator(configuration: configuration)
        try await emulator.start()
        let account =
            configuration.accounts.keys.contains(EmulatorConfiguration.developmentAccount)
            ? EmulatorConfiguration.developmentAccount : configuration.accounts.keys.sorted()[0]
        emulator.createContainer(account: account, container: container)
        let names = (0..<pageBlobs).map { "disk\($0)" }
        for name in names {
            emulator.createPageBlob(account: account, container: container, blob: name, size: blobSize)
        }
        return EmulatorFixture(emulator: emulator, account: account, container: container, blobs: names)
    }

    /// Starts a fixture, runs `body` with it and always stops it.
    public static func run<T>(
        pageBlobs: Int = 1, blobSize: Int = 1 << 20, container: String = "vhds",
        configuration: EmulatorConfiguration = EmulatorConfiguration(), _ body: (EmulatorFixture) async throws -> T
    ) async throws -> T {
        let fixture = try await start(
            pageBlobs: pageBlobs, blobSize: blobSize, container: container, configuration: configuration)
        do {
            let result = try await body(fixture)
            try await fixture.stop()
            return result
        } catch {
            try? await fixture.stop()
            throw error
        }
    }

    /// A signed blob SAS URI for `blob` in the fixture's container.
    public func sasURI(
        blob: String, permissions: String = "rcw", version: String = "2014-02-14",
        expiry: Date = Date().addingTimeInterval(3600)
    ) -> String {
        emulator.sasURI(
            account: account, container: container, blob: blob, permissions: permissions, version: version,
            expiry: expiry)
    }

    /// SAS URIs of every page blob created at start.
    public var pageBlobURIs: [String] { blobs.map { sasURI(blob: $0) } }

    /// Stops the emulator (closes every connection).
    public func stop() async throws { try await emulator.stop() }
}
