import Core
import Emulator
import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `vmsnap emulator sas` signs URIs the emulator accepts; `vmsnap emulator` serves until interrupted.
@Suite struct EmulatorCommandTests {
    /// Starts `vmsnap emulator --port 0 ARGUMENTS` and reads its banner up to the first line: the process (the
    /// caller stops it), the banner, the port it listens on, and its stdout (kept open while the caller holds it).
    private func startEmulator(_ arguments: [String]) throws -> (Process, banner: String, port: Int, stdout: Pipe) {
        let process = Process()
        process.executableURL = BuiltBinary.vmsnap
        process.arguments = ["emulator", "--port", "0"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var banner = Data()
        while !banner.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                if process.isRunning { process.terminate() }
                throw EmulatorExited()
            }
            banner.append(chunk)
        }
        let text = String(decoding: banner, as: UTF8.self)
        guard let port = text.firstMatch(of: #/port (\d+);/#).flatMap({ Int($0.1) }) else {
            process.terminate()
            throw EmulatorExited()
        }
        return (process, text, port, output)
    }

    /// The emulator exited, or printed no port, before its banner line.
    private struct EmulatorExited: Error, CustomStringConvertible {
        var description: String { "the emulator exited before printing its banner with the port" }
    }

    @Test func sasCommandSignsAcceptedURIs() async throws {
        try await EmulatorFixture.run { fixture in
            for version in ["2014-02-14", "2020-12-06"] {
                let output = try await BuiltBinary.run([
                    "emulator", "sas", "--container", "vhds", "--blob", "disk0", "--permissions", "rwc",
                    "--version", version, "--port", String(fixture.emulator.port),
                ])
                #expect(output.status == 0, "\(output.stderr)")
                let uri = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(uri.hasPrefix("\(fixture.emulator.baseURL)/devstoreaccount1/vhds/disk0?sv=\(version)&sr=b"))
                var request = URLRequest(url: URL(string: uri + "&comp=snapshot")!)
                request.httpMethod = "PUT"
                let (_, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 201)
            }
            #expect(fixture.emulator.snapshots(container: "vhds", blob: "disk0").count == 2)
        }
    }

    @Test func serveUntilTerminatedThenSaveTheStore() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("emulator-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (process, text, port, stdout) = try startEmulator(["--data-dir", directory.path])
        defer { if process.isRunning { process.terminate() } }
        defer { withExtendedLifetime(stdout) {} }
        #expect(text.hasPrefix("vmsnap emulator listening on http://127.0.0.1:\(port)"))
        let signer = BlobEmulator(configuration: EmulatorConfiguration(port: port))
        let containerSAS = SASParameters(
            version: "2020-12-06", resource: "c", permissions: "rwc",
            expiry: SASParameters.format(Date().addingTimeInterval(600)))
        var create = URLRequest(
            url: URL(
                string: signer.signedURI(container: "saved", blob: nil, parameters: containerSAS) + "&restype=container"
            )!)
        create.httpMethod = "PUT"
        let (_, created) = try await URLSession.shared.data(for: create)
        #expect((created as? HTTPURLResponse)?.statusCode == 201)
        var upload = URLRequest(url: URL(string: signer.sasURI(container: "saved", blob: "b0"))!)
        upload.httpMethod = "PUT"
        upload.setValue("BlockBlob", forHTTPHeaderField: "x-ms-blob-type")
        let (_, uploaded) = try await URLSession.shared.upload(for: upload, from: Data("kept".utf8))
        #expect((uploaded as? HTTPURLResponse)?.statusCode == 201)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        let reloaded = BlobEmulator(configuration: EmulatorConfiguration(dataDirectory: directory.path))
        try await reloaded.start()
        #expect(reloaded.blobContent(container: "saved", blob: "b0") == Data("kept".utf8))
        try await reloaded.stop()
    }

    @Test func serveTLSWithAThrowAwayCertificateWrittenForClients() async throws {
        let directory = try SettingsFixtures.temporaryDirectory("emulator-tls")
        defer { try? FileManager.default.removeItem(at: directory) }
        let ca = directory.appendingPathComponent("ca.pem").path
        let (process, text, port, stdout) = try startEmulator(["--tls", "--write-ca", ca])
        defer { if process.isRunning { process.terminate() } }
        defer { withExtendedLifetime(stdout) {} }
        #expect(text.hasPrefix("vmsnap emulator listening on https://127.0.0.1:\(port)"))
        #expect(text.contains("certificate: \(ca)"))
        #expect(try String(contentsOfFile: ca, encoding: .utf8).hasPrefix("-----BEGIN CERTIFICATE-----"))
        let signed = try await BuiltBinary.run([
            "emulator", "sas", "--tls", "--container", "vhds", "--blob", "disk0", "--port", String(port),
        ])
        let uri = try SASBlobURI(signed.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(uri.origin == "https://127.0.0.1:\(port)")
        // Verified against the written certificate: the emulator answers (no such container yet).
        let answer = try await BlobClient(configuration: BlobClient.Configuration(caBundle: ca)).get(uri)
        #expect(answer.status == 404)
        #expect(answer.errorCode == "ContainerNotFound")
        // Without it, the certificate is refused.
        let untrusting = BlobClient(
            configuration: BlobClient.Configuration(trustAnchors: TrustAnchors.resolve(explicit: nil, environment: [:]))
        )
        await #expect(throws: BlobTransportError.self) { _ = try await untrusting.get(uri) }
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func writeCANeedsTLS() async throws {
        let output = try await BuiltBinary.run(["emulator", "--port", "0", "--write-ca", "/tmp/unused.pem"])
        #expect(output.status == 64)
        #expect(output.stderr.contains("--write-ca needs --tls"))
    }

    @Test func badExpiryIsNamed() async throws {
        let output = try await BuiltBinary.run([
            "emulator", "sas", "--container", "c", "--blob", "b", "--expiry", "soon",
        ])
        #expect(output.status != 0)
        #expect(output.stderr.contains("--expiry: expected an ISO 8601 UTC time"))
    }

    @Test func badFaultsFileIsNamed() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("faults-\(UUID()).json")
        try Data(#"[{"action": "error", "status": 503}]"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try await BuiltBinary.run(["emulator", "--port", "0", "--faults", file.path])
        #expect(output.status != 0)
        #expect(output.stderr.contains("\(file.path): $[0].code"))
    }

    @Test func badHostVMFileIsNamed() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("host-vm-\(UUID()).json")
        try Data(#"{"disks": [{"lun": 99, "container": "vhds", "blob": "os"}]}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try await BuiltBinary.run(["emulator", "--port", "0", "--host-vm", file.path])
        #expect(output.status != 0)
        #expect(output.stderr.contains("\(file.path): $.disks[0].lun"), "\(output.stderr)")
    }

    @Test func theEmulatorServesTheHostVMItIsGiven() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("host-vm-\(UUID()).json")
        try Data(#"{"disks": [{"lun": -1, "container": "vhds", "blob": "os"}], "clockOffsetSeconds": 0}"#.utf8)
            .write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (process, banner, port, _) = try startEmulator(["--host-vm", file.path])
        defer { process.terminate() }
        #expect(banner.contains("WireServer: /metadata/recsvc/snapshot/"))
        // A job on the host path against the emulator process: its store has no such blob, so the host answers
        // the disk's entry as failed (BlobStorage's message), after a presnapshot that answered its clock.
        let directory = try SettingsFixtures.temporaryDirectory("host-vm")
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = try SettingsFixtures.write(
            [
                "runtimeSettings": [
                    [
                        "handlerSettings": [
                            "publicSettings": [
                                "taskId": "host-vm-job", "commandToExecute": "snapshot",
                                "commandStartTimeUTCTicks": String(SnapshotScenario.ticks(Date())),
                                "objectStr": SettingsFixtures.base64JSON([
                                    "includedDisks": ["isVmgsBlobIncluded": true, "isOSDiskIncluded": true]
                                ]),
                            ] as [String: Any]
                        ]
                    ]
                ]
            ], to: directory.appendingPathComponent("0.settings"))
        let output = try await BuiltBinary.run([
            "snapshot", "--settings", settings.path, "--log-dir", directory.path, "--wireserver",
            "http://127.0.0.1:\(port)",
        ])
        #expect(output.status == 1)
        let log = try String(contentsOfFile: directory.path + "/extension.log", encoding: .utf8)
        #expect(log.contains("presnapshot answered 200"))
        #expect(log.contains("host disk 0"))
        #expect(log.contains("The specified container does not exist."))
        #expect(output.stdout.contains("code 76"))
    }
}
