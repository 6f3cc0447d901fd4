import Core
import Foundation

/// A machine state for job plan tests in a temporary directory: a mountinfo file, vmsnap's configuration,
/// vmbackup.conf, a script configuration (root-owned, mode 600) and an empty sysfs, with the plan sources that read
/// them and nothing of the real machine.
public struct PlanFixture: Sendable {
    public let directory: URL

    /// Mounts: `/` (ext4), `/data` (xfs), `/srv` (ext4), `/images` (ext4 on a loop device), `/proc`.
    public static let mountInfo = """
        22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
        23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw
        24 22 8:17 / /data rw,relatime shared:3 - xfs /dev/sdc1 rw
        25 22 8:33 / /srv rw,relatime shared:4 - ext4 /dev/sdd1 rw
        26 22 7:0 / /images rw,relatime shared:5 - ext4 /dev/loop0 rw
        """

    public init() throws {
        directory = try SettingsFixtures.temporaryDirectory("plan")
        try Self.mountInfo.write(to: url("mountinfo"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: url("sys"), withIntermediateDirectories: true)
    }

    public func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Writes vmsnap's configuration file and returns its path.
    @discardableResult
    public func writeConfiguration(_ object: [String: Any]) throws -> String {
        try SettingsFixtures.write(object, to: url("vmsnap.json")).path
    }

    /// Writes vmbackup.conf and returns its path.
    @discardableResult
    public func writeVMBackupConf(_ text: String) throws -> String {
        try text.write(to: url("vmbackup.conf"), atomically: true, encoding: .utf8)
        return url("vmbackup.conf").path
    }

    /// Writes a script configuration naming pre/post scripts (mode 600) and the scripts (mode 700); returns its path.
    @discardableResult
    public func writeScriptConfig() throws -> String {
        for name in ["pre.sh", "post.sh"] {
            try "#!/bin/sh\nexit 0\n".write(to: url(name), atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url(name).path)
        }
        let path = try SettingsFixtures.write(
            [
                "preScriptLocation": url("pre.sh").path, "postScriptLocation": url("post.sh").path,
                "timeoutInSeconds": 30,
            ],
            to: url("VMSnapshotScriptPluginConfig.json")
        ).path
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return path
    }

    /// Plan sources whose default paths all point into this directory (files not written are absent).
    public var sources: JobPlanSources {
        var sources = JobPlanSources()
        sources.configurationDefaultPath = url("vmsnap.json").path
        sources.vmbackupConfDefaultPath = url("vmbackup.conf").path
        sources.scriptConfigDefaultPath = url("VMSnapshotScriptPluginConfig.json").path
        sources.mountInfoPath = url("mountinfo").path
        sources.sysfsRoot = url("sys").path
        sources.resourceDiskLinks = []
        sources.agentEndpointFile = url("WireServerEndpoint").path
        sources.environment = [:]
        return sources
    }

    public func remove() { try? FileManager.default.removeItem(at: directory) }
}
