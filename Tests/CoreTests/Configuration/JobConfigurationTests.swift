import Core
import Foundation
import TestSupport
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

/// How vmsnap's configuration file reaches a snapshot job: which file is read, and what the command line overrides.
@Suite struct JobConfigurationTests {
    @Test func withoutAFileTheDefaultsApplyAndTheDefaultPathIsReadWhenItExists() throws {
        let directory = try SettingsFixtures.temporaryDirectory("job-config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("absent.json").path
        #expect(try VMSnapConfiguration.load(commandLinePath: nil, defaultPath: missing) == .defaults)
        let present = try SettingsFixtures.write(
            ["freezeTimeoutSeconds": 7, "mountsToSkip": ["/data/*"]], to: directory.appendingPathComponent("c.json"))
        let configuration = try VMSnapConfiguration.load(commandLinePath: nil, defaultPath: present.path)
        #expect(configuration.freezeTimeoutSeconds == 7)
        #expect(configuration.mountsToSkip == ["/data/*"])
        let named = try #require(
            throws: ConfigurationError.self,
            performing: { try VMSnapConfiguration.load(commandLinePath: missing, defaultPath: present.path) })
        #expect(named.description.contains(missing))
    }

    @Test func theFileSetsTheFreezeUnlessTheCommandLineOverrides() throws {
        var configuration = VMSnapConfiguration.defaults
        configuration.freezeTimeoutSeconds = 2.5
        configuration.mountsToSkip = ["/mnt/*", "/srv"]
        #expect(configuration.freezeTimeout(commandLineSeconds: nil) == .milliseconds(2500))
        #expect(configuration.freezeTimeout(commandLineSeconds: 9) == .seconds(9))
        let discovering = configuration.freezer(mounts: [], lockPath: "/tmp/lock")
        #expect(discovering.mounts == nil)
        #expect(discovering.mountsToSkip == ["/mnt/*", "/srv"])
        #expect(discovering.lockPath == "/tmp/lock")
        #expect(configuration.freezer(mounts: ["/a"]).mounts == ["/a"])
    }
}
