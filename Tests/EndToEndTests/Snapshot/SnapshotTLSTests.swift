import Core
import Emulator
import Foundation
import TestSupport
import Testing

/// `vmsnap snapshot` over https, as production runs it: against the emulator's TLS endpoint with the certificate
/// verified, trusted through --ca-bundle, the configuration's caBundle or SSL_CERT_FILE, and refused otherwise.
@Suite struct SnapshotTLSTests {
    /// No CA choice from the test's own environment leaks into the child.
    static let neutralEnvironment = ["CURL_CA_BUNDLE": "", "SSL_CERT_FILE": "", "SSL_CERT_DIR": ""]

    /// A TLS emulator scenario with `disks` disks, its certificate written out; stopped after `body`.
    func withTLSScenario(
        disks: Int, _ body: (SnapshotScenario, _ certificatePath: String, _ settingsPath: String) async throws -> Void
    ) async throws {
        let certificate = try EmulatorCertificate.generate()
        let scenario = try await SnapshotScenario.start(
            disks: disks, configuration: EmulatorConfiguration(tls: certificate))
        do {
            let path = scenario.directory.appendingPathComponent("emulator-ca.pem").path
            try certificate.writeCertificate(to: path)
            let settings = try scenario.writeSettingsFile(
                to: scenario.directory.appendingPathComponent("job.settings"))
            try await body(scenario, path, settings.path)
            try await scenario.stop()
        } catch {
            try? await scenario.stop()
            throw error
        }
    }

    /// The `result` object of the last JSON event line.
    func result(_ stdout: String) throws -> [String: Any] {
        let last = try #require(stdout.split(separator: "\n").last)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        return try #require(event["result"] as? [String: Any])
    }

    @Test func aJobOverVerifiedTLSWithCABundle() async throws {
        try await withTLSScenario(disks: 3) { scenario, ca, settings in
            #expect(scenario.diskURIs.allSatisfy { $0.hasPrefix("https://127.0.0.1:") })
            let output = try await BuiltBinary.run(
                [
                    "snapshot", "--settings", settings, "--json", "--ca-bundle", ca, "--status-dir",
                    scenario.statusDirectory, "--log-dir", scenario.logDirectory,
                ], environment: Self.neutralEnvironment)
            #expect(output.status == 0, "\(output.stdout)\n\(output.stderr)")
            #expect(try result(output.stdout)["code"] as? Int == 1)
            for disk in 0..<3 {
                #expect(
                    scenario.emulator.snapshots(
                        account: scenario.fixture.account, container: "vhds", blob: "disk\(disk)"
                    ).count == 1)
            }
            #expect(try scenario.statusDocument() != nil, "the status blob was not uploaded over TLS")
            #expect(!scenario.leaksSignature(output.stdout + output.stderr))
        }
    }

    @Test func theConfigurationsCABundleAndSSLCertFileAreHonoured() async throws {
        try await withTLSScenario(disks: 1) { scenario, ca, settings in
            let config = try SettingsFixtures.write(
                ["caBundle": ca], to: scenario.directory.appendingPathComponent("config.json"))
            let viaConfiguration = try await BuiltBinary.run(
                ["snapshot", "--settings", settings, "--config", config.path], environment: Self.neutralEnvironment)
            #expect(viaConfiguration.status == 0, "\(viaConfiguration.stdout)\n\(viaConfiguration.stderr)")
            // A new task id for the second job is not needed: without --status-dir nothing is remembered.
            var environment = Self.neutralEnvironment
            environment["SSL_CERT_FILE"] = ca
            let viaEnvironment = try await BuiltBinary.run(
                ["snapshot", "--settings", settings], environment: environment)
            #expect(viaEnvironment.status == 0, "\(viaEnvironment.stdout)\n\(viaEnvironment.stderr)")
            #expect(
                scenario.emulator.snapshots(account: scenario.fixture.account, container: "vhds", blob: "disk0").count
                    == 2)
        }
    }

    @Test func anUntrustedCertificateIsSaidOncePerDisk() async throws {
        try await withTLSScenario(disks: 2) { scenario, _, settings in
            let output = try await BuiltBinary.run(
                ["snapshot", "--settings", settings, "--log-dir", scenario.logDirectory],
                environment: Self.neutralEnvironment)
            #expect(output.status == 1)
            let reason = "TLS with https://127.0.0.1:\(scenario.emulator.port) failed: SSL certificate problem: "
            for disk in 0..<2 {
                let lines = output.stdout.split(separator: "\n").filter { $0.contains("disk \(disk)") }
                let mentions = lines.map { $0.components(separatedBy: reason).count - 1 }.reduce(0, +)
                #expect(mentions == 1, "disk \(disk): \(lines)")
            }
            #expect(output.stdout.contains("self-signed certificate"), "\(output.stdout)")
            let log = try String(contentsOfFile: scenario.logDirectory + "/extension.log", encoding: .utf8)
            for disk in 0..<2 {
                let lines = log.split(separator: "\n").filter { $0.contains("disk \(disk) ") }
                #expect(lines.map { $0.components(separatedBy: reason).count - 1 }.reduce(0, +) == 1, "\(lines)")
            }
            #expect(
                scenario.emulator.snapshots(account: scenario.fixture.account, container: "vhds", blob: "disk0").isEmpty
            )
            #expect(!scenario.leaksSignature(output.stdout + output.stderr))
        }
    }

    @Test func aMissingCABundleIsRefusedBeforeTheJob() async throws {
        let output = try await BuiltBinary.run([
            "snapshot", "--settings", "/nonexistent.settings", "--ca-bundle", "/no/ca.pem",
        ])
        #expect(output.status == 64)
        #expect(output.stderr.contains("--ca-bundle: '/no/ca.pem' does not exist"), "\(output.stderr)")
    }
}
