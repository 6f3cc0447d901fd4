import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// Fuzz targets for the parsers that read untrusted input and for the sanitiser: a short bounded run here, a long
/// one by `scripts/fuzz`. A trap fails the whole run (the iteration is replayable from `VMSNAP_FUZZ_SEED`); each
/// target also checks what must hold for every input.
@Suite struct FuzzTests {
    /// Real documents: the fixtures (the peer's captures among them) and the seed's settings in every form.
    static func corpus(_ extra: [String] = []) throws -> [[UInt8]] {
        var seeds = try StatusDocumentFixtures.all.map { Array(try StatusDocumentFixtures.data($0)) }
        seeds += extra.map { Array($0.utf8) }
        return seeds
    }

    static func settingsCorpus() throws -> [[UInt8]] {
        let forms: [Any] = [
            SettingsFixtures.runtimeSettings(
                publicSettings: SettingsFixtures.seedPublicSettings,
                protectedSettings: SettingsFixtures.seedProtectedSettings),
            SettingsFixtures.seedARMResource,
            [
                "settings": SettingsFixtures.seedPublicSettings,
                "protectedSettings": SettingsFixtures.seedProtectedSettings,
            ],
        ]
        return try forms.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
    }

    @Test func settingsParser() throws {
        var fuzzer = MutationFuzzer(corpus: try Self.settingsCorpus())
        // The seed's own signatures are secrets (parsing them remembers them, as a job's settings would be).
        let signatures = SettingsFixtures.seedDiskURIs.compactMap { try? SASBlobURI($0).parameters["sig"] }
        fuzzer.run { bytes in
            do throws(SettingsError) {
                let root = try JSONNode.parse(Data(bytes), file: "fuzz.settings")
                let loaded = try SettingsLoader.parseDocument(
                    root, handlerEnvironment: nil, certificateDirectory: "/nonexistent")
                _ = loaded.checks(now: SettingsFixtures.seedValidAt)
            } catch {
                let text = error.description
                #expect(!signatures.contains { text.contains($0) }, "a signature in: \(text)")
            }
        }
    }

    @Test func statusDocumentReader() throws {
        var fuzzer = MutationFuzzer(corpus: try Self.corpus())
        fuzzer.run { bytes in
            guard let snapshot = try? StatusDocumentReader.read(Data(bytes), origin: .statusBlob, source: "fuzz")
            else { return }
            let report = StatusReport(
                job: snapshot, sources: [], generatedAt: SettingsFixtures.seedValidAt,
                explanations: StatusReport.codesInView(snapshot).compactMap(CodeExplanation.lookup))
            _ = report.text(zone: .local)
            #expect((try? JSONSerialization.jsonObject(with: report.json())) is [String: Any])
        }
    }

    @Test func logLineParser() throws {
        let lines = [
            "2026-11-25 03:07:00.032948 [Microsoft.Azure.RecoveryServices.VMSnapshotLinux-1.0.9184.0]job accepted",
            "2026/11/25 03:07:01 [x-1]WARNING: pre-connect to https://a failed",
            "2026-11-25T03:07:02Z ERROR: snapshot failed: 409 SnapshotCountExceeded",
        ]
        var fuzzer = MutationFuzzer(corpus: lines.map { Array($0.utf8) })
        fuzzer.run { bytes in
            let line = LogLine.parse(String(decoding: bytes, as: UTF8.self), localZone: .local)
            if let date = line.timestamp { _ = SourceFreshness.clock(date, zone: .local) }
        }
    }

    @Test func sasParser() throws {
        var fuzzer = MutationFuzzer(
            corpus: (SettingsFixtures.seedDiskURIs + [SettingsFixtures.seedStatusBlobUri]).map { Array($0.utf8) })
        fuzzer.run { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            do throws(SASURIError) {
                let uri = try SASBlobURI(text)
                for purpose in SASPurpose.allCases {
                    _ = SASPolicy.violations(uri, for: purpose, now: SettingsFixtures.seedValidAt)
                }
                #expect(Redactor.redact(uri.redacted) == uri.redacted, "redacting twice changes nothing")
            } catch {
                _ = error.description
            }
        }
    }

    @Test func sanitiser() throws {
        var fuzzer = MutationFuzzer(corpus: try Self.corpus(HostileInputs.terminalPayloads))
        fuzzer.run { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            for layout in [TerminalText.Layout.singleLine, .lines] {
                let clean = TerminalText.sanitize(text, layout: layout)
                #expect(!HostileInputs.actsOnTerminal(clean))
                #expect(TerminalText.sanitize(clean, layout: layout) == clean, "sanitising twice changes nothing")
            }
        }
    }

    /// The generator is deterministic: the same seed gives the same inputs.
    @Test func runsAreReplayable() throws {
        var first = MutationFuzzer(corpus: try Self.corpus(), seed: 42)
        var second = MutationFuzzer(corpus: try Self.corpus(), seed: 42)
        for _ in 0..<50 { #expect(first.next() == second.next()) }
    }
}
