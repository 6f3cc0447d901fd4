import Emulator
import Foundation
import TestSupport
import Testing

/// The official Python SDK (azure-storage-blob, in `.build/test-venv`) against the emulator: every operation
/// vmsnap relies on, each SAS failure's exception, and a 2014-02-14 SAS signed by an independent implementation.
@Suite struct ConformanceTests {
    @Test func pythonSDKConformance() async throws {
        let root = BuiltBinary.packageRoot
        let python = root.appendingPathComponent(".build/test-venv/bin/python")
        try #require(
            FileManager.default.isExecutableFile(atPath: python.path),
            "no Python venv with azure-storage-blob at \(python.path): run scripts/install-test-tools")
        let script = root.appendingPathComponent("Tests/EmulatorTests/Conformance/conformance.py")
        let emulator = BlobEmulator(configuration: EmulatorConfiguration())
        try await emulator.start()
        let output: ProcessOutput
        do {
            output = try await ProcessOutput.run(
                python, [script.path],
                environment: [
                    "EMULATOR_URL": emulator.baseURL, "EMULATOR_ACCOUNT": EmulatorConfiguration.developmentAccount,
                    "EMULATOR_KEY": EmulatorConfiguration.developmentKey,
                ])
        } catch {
            try await emulator.stop()
            throw error
        }
        let journal = emulator.journal()
        try await emulator.stop()
        #expect(output.status == 0, "conformance.py failed:\n\(output.stdout)\n\(output.stderr)")
        #expect(output.stdout.contains("all conformance checks passed"))
        let sharedKey = journal.compactMap { $0.headers["authorization"] }
        #expect(!sharedKey.isEmpty)
        #expect(sharedKey.allSatisfy { $0 == "SharedKey devstoreaccount1:REDACTED" })
        #expect(journal.contains { $0.operation == .listBlobs && $0.path.contains("sr=c") })
        #expect(journal.allSatisfy { !$0.path.contains("sig=") || $0.path.contains("sig=REDACTED") })
    }
}
