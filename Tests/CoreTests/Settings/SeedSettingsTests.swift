import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// The seed's ARM resource form with its exact table values.
@Suite struct SeedSettingsTests {
    let directory: URL
    let file: URL

    init() throws {
        directory = try SettingsFixtures.temporaryDirectory("seed")
        file = try SettingsFixtures.write(
            SettingsFixtures.seedARMResource, to: directory.appendingPathComponent("vmsnapshot.json"))
    }

    @Test func parsesTheSeedTableValues() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let loaded = try SettingsLoader.parse(path: file.path)
        let settings = loaded.settings
        #expect(loaded.form == .armResource)
        #expect(settings.taskID == "e07354cf-041e-4370-929f-25a319ce8933_1")
        #expect(settings.command == "snapshot")
        #expect(settings.locale == "en-us")
        #expect(settings.vmType == "microsoft.compute/virtualmachines")
        #expect(settings.commandStartTicks == "6.36458E+17")
        #expect(settings.commandStartTime == ISO8601DateFormatter().date(from: "2017-11-09T04:53:20Z"))
        #expect(settings.disks.count == 5)
        #expect(
            settings.disks.map(\.account) == [
                "sopattna5365", "sopattna8461", "sopattna8461", "sopattna5365", "sopattna5365",
            ])
        #expect(settings.disks[2].container == "bootdiagnostics-vmwintu1-deb58392-ed5e-48be-9228-ff681b0cd3ee")
        #expect(settings.disks[2].blob == "vmubuntu1404ltsc-20160629-122541.vhd")
        #expect(settings.disks.map(\.original) == SettingsFixtures.seedDiskURIs)
        // The query is kept byte-for-byte (no decoding of %2B, %3D, %3A).
        #expect(settings.disks[1].requestURI() == SettingsFixtures.seedDiskURIs[1])
        #expect(settings.disks.allSatisfy { $0.permissions == "rw" && $0.version == "2014-02-14" })
        #expect(settings.statusBlob?.blob == "sopattna-vmubuntu1404ltsc.v2.Status.txt")
        #expect(settings.logsBlob?.blob == "sopattna-vmubuntu1404ltsc.v2.Logs.txt")
        #expect(settings.statusBlob?.account == "seapod01coord1exsapk732")
        #expect(loaded.targets.count == 7)
        #expect(loaded.targets[3].path.hasSuffix("objectStr<json>.blobSASUri[3]"))
    }

    @Test func passesThePreJobChecksInsideTheSASWindow() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = try SettingsLoader.load(path: file.path, now: SettingsFixtures.seedValidAt)
        #expect(settings.disks.count == 5)
    }

    @Test func rejectsEveryExpiredURIButKeepsTheSettings() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = try #require(throws: SettingsError.self) { try SettingsLoader.load(path: file.path) }
        #expect(error.problems.count == 7)
        #expect(error.problems.allSatisfy { $0.expected == "an unexpired SAS" })
        #expect(error.problems[0].found?.contains("expired at 2017-11-09T17:38:28Z") == true)
        #expect(error.problems[0].path.hasSuffix("blobSASUri[0]"))
        #expect(error.settings?.taskID == SettingsFixtures.seedTaskID)
        #expect(!Redactor.containsSignature(error.description))
        #expect(!error.description.contains("TywkROXL1zvhXcLujtCut8g3jTpgbE6JpSWRLZxAdtA"))
    }
}
