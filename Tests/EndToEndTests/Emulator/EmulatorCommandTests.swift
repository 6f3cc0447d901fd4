import Emulator
import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `vmsnap emulator sas` signs URIs the emulator accepts; `vmsnap emulator` serves until interrupted.
@Suite struct EmulatorCommandTests {
    @Test func sasCommandSignsAcceptedURIs() async throws {
        try await EmulatorFixture.run { fixture in
            for version in ["2014-02-14", "2020-12-06"] {
                let output = try BuiltBinary.run([
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

    @Test func badExpiryIsNamed() throws {
        let output = try BuiltBinary.run(["emulator", "sas", "--container", "c", "--blob", "b", "--expiry", "soon"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("--expiry: expected an ISO 8601 UTC time"))
    }

    @Test func badFaultsFileIsNamed() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("faults-\(UUID()).json")
        try Data(#"[{"action": "error", "status": 503}]"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try BuiltBinary.run(["emulator", "--port", "0", "--faults", file.path])
        #expect(output.status != 0)
        #expect(output.stderr.contains("\(file.path): $[0].code"))
    }
}
