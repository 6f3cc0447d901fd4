import Core
import Foundation
import TestSupport
import Testing

/// The resource disk found by its VMBus identity in a sysfs tree laid out as Azure's Gen1 and Gen2 VMs lay it out.
struct BlockDevicesTests {
    /// Writes `text` to `path` under `root`, creating folders.
    private func file(_ root: URL, _ path: String, _ text: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// A SCSI disk `name` at `address` (H:C:T:L) below VMBus device `device`, with one partition.
    private func disk(_ root: URL, device: String, address: String, name: String, major: Int, minor: Int) throws {
        let target = "target" + address.split(separator: ":").prefix(3).joined(separator: ":")
        let host = "host" + address.split(separator: ":")[0]
        try file(
            root, "bus/vmbus/devices/\(device)/\(host)/\(target)/\(address)/block/\(name)/dev", "\(major):\(minor)\n")
        try file(root, "class/block/\(name)/dev", "\(major):\(minor)\n")
        try file(root, "class/block/\(name)/\(name)1/dev", "\(major):\(minor + 1)\n")
    }

    @Test func gen1ResourceDiskByItsDeviceID() throws {
        let root = try SettingsFixtures.temporaryDirectory("sysfs")
        defer { try? FileManager.default.removeItem(at: root) }
        let os = "f8b3781b-1e82-4818-a1c3-63d806ec15bb"
        try file(root, "bus/vmbus/devices/\(os)/device_id", "{\(os)}\n")
        try disk(root, device: os, address: "0:0:0:0", name: "sda", major: 8, minor: 0)
        let resource = "00000000-0001-8899-0000-000000000000"
        try file(root, "bus/vmbus/devices/\(resource)/device_id", "{\(resource)}\n")
        try disk(root, device: resource, address: "1:0:1:0", name: "sdb", major: 8, minor: 16)
        let devices = BlockDevices.read(sysfsRoot: root.path, udevLinks: [])
        #expect(devices.resourceDiskDevices == ["8:16", "8:17"])
        #expect(devices.resourceDiskIdentity == "VMBus \(resource) (sdb)")
    }

    @Test func gen2ResourceDiskIsLUN1OfItsController() throws {
        let root = try SettingsFixtures.temporaryDirectory("sysfs")
        defer { try? FileManager.default.removeItem(at: root) }
        let controller = BlockDevices.gen2ResourceController
        try file(root, "bus/vmbus/devices/\(controller)/device_id", "{\(controller)}\n")
        try disk(root, device: controller, address: "0:0:0:0", name: "sda", major: 8, minor: 0)
        try disk(root, device: controller, address: "0:0:0:1", name: "sdb", major: 8, minor: 16)
        #expect(BlockDevices.read(sysfsRoot: root.path, udevLinks: []).resourceDiskDevices == ["8:16", "8:17"])
    }

    @Test func noVMBusAndNoLinkFindsNothing() {
        #expect(BlockDevices.read(sysfsRoot: "/nonexistent", udevLinks: ["/nonexistent/link"]) == BlockDevices())
    }
}
