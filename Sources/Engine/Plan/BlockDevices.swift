import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What sysfs says about the machine's block devices, read without running any command: the Azure resource
/// disk's partitions (found by their VMBus identity wherever they are mounted) and loop devices.
public struct BlockDevices: Sendable, Equatable {
    /// VMBus device ids of Gen1 resource disks start with this.
    public static let gen1ResourceDiskPrefix = "00000000-0001"
    /// The Gen2 VMBus SCSI controller whose LUN 1 is the resource disk.
    public static let gen2ResourceController = "f8b3781a-1e82-4818-a1c3-63d806ec15bb"
    /// The udev links Azure creates for the resource disk, a second hint.
    public static let resourceDiskLinks = ["/dev/disk/azure/resource-part1", "/dev/disk/cloud/azure_resource-part1"]
    /// The block major number of loop devices.
    public static let loopMajor = "7"

    /// `major:minor` of the resource disk and each of its partitions.
    public var resourceDiskDevices: Set<String>
    /// How the resource disk was found, for messages (e.g. "VMBus 00000000-0001-8899-… (sdb)").
    public var resourceDiskIdentity: String?

    public init(resourceDiskDevices: Set<String> = [], resourceDiskIdentity: String? = nil) {
        self.resourceDiskDevices = resourceDiskDevices
        self.resourceDiskIdentity = resourceDiskIdentity
    }

    /// Reads sysfs under `sysfsRoot` (tests point it at a tree of their own) and the udev links.
    public static func read(sysfsRoot: String = "/sys", udevLinks: [String] = resourceDiskLinks) -> BlockDevices {
        let files = FileManager.default
        let bus = sysfsRoot + "/bus/vmbus/devices"
        for entry in ((try? files.contentsOfDirectory(atPath: bus)) ?? []).sorted() {
            let id = (contents(bus + "/" + entry + "/device_id") ?? entry)
                .trimmingCharacters(in: CharacterSet(charactersIn: "{} \n")).lowercased()
            let gen1 = id.hasPrefix(gen1ResourceDiskPrefix)
            guard gen1 || id == gen2ResourceController else { continue }
            for disk in scsiDisks(under: bus + "/" + entry) where gen1 || disk.lun == 1 {
                let devices = devices(ofDisk: disk.name, sysfsRoot: sysfsRoot)
                if !devices.isEmpty {
                    return BlockDevices(
                        resourceDiskDevices: devices, resourceDiskIdentity: "VMBus \(id) (\(disk.name))")
                }
            }
        }
        for link in udevLinks {
            var info = stat()
            guard stat(link, &info) == 0, info.st_mode & S_IFMT == S_IFBLK else { continue }
            return BlockDevices(resourceDiskDevices: [deviceNumber(info.st_rdev)], resourceDiskIdentity: link)
        }
        return BlockDevices()
    }

    /// Whether a mountinfo entry is on a loop device.
    public static func isLoop(_ entry: MountInfoEntry) -> Bool {
        entry.device.hasPrefix(loopMajor + ":") || entry.source.hasPrefix("/dev/loop")
    }

    /// The disks a filesystem's device (`major:minor`) lies on, through partitions and device-mapper (LVM)
    /// slaves, each with its SCSI LUN when it has one (`H:C:T:L` of `/sys/class/block/<disk>/device`): the peer's
    /// `lsscsi`/`lsblk`/`pvs` LUN mapping read from sysfs. Empty when sysfs does not know the device.
    public static func disks(ofDevice number: String, sysfsRoot: String = "/sys") -> [SurveyedDisk] {
        disks(ofDevice: number, sysfsRoot: sysfsRoot, depth: 0)
    }

    private static func disks(ofDevice number: String, sysfsRoot: String, depth: Int) -> [SurveyedDisk] {
        let files = FileManager.default
        let node = URL(fileURLWithPath: "\(sysfsRoot)/dev/block/\(number)").resolvingSymlinksInPath()
        guard depth < 8, files.fileExists(atPath: node.path) else { return [] }
        let slaves = ((try? files.contentsOfDirectory(atPath: node.path + "/slaves")) ?? []).sorted()
        if !slaves.isEmpty {
            return slaves.flatMap { slave in
                contents("\(sysfsRoot)/class/block/\(slave)/dev").map {
                    disks(ofDevice: $0, sysfsRoot: sysfsRoot, depth: depth + 1)
                } ?? []
            }
        }
        let isPartition = files.fileExists(atPath: node.path + "/partition")
        let disk = isPartition ? node.deletingLastPathComponent().lastPathComponent : node.lastPathComponent
        let address = URL(fileURLWithPath: "\(sysfsRoot)/class/block/\(disk)/device").resolvingSymlinksInPath()
        let parts = address.lastPathComponent.split(separator: ":")
        return [SurveyedDisk(name: disk, lun: parts.count == 4 ? Int(parts[3]) : nil)]
    }

    /// The SCSI disks below a VMBus device: `host*/target*/H:C:T:L/block/<name>`.
    private static func scsiDisks(under device: String) -> [(name: String, lun: Int)] {
        let files = FileManager.default
        var disks: [(String, Int)] = []
        let list = { (path: String) in ((try? files.contentsOfDirectory(atPath: path)) ?? []).sorted() }
        for host in list(device) where host.hasPrefix("host") {
            for target in list("\(device)/\(host)") where target.hasPrefix("target") {
                for address in list("\(device)/\(host)/\(target)") where address.split(separator: ":").count == 4 {
                    guard let lun = address.split(separator: ":").last.flatMap({ Int($0) }) else { continue }
                    for name in list("\(device)/\(host)/\(target)/\(address)/block") { disks.append((name, lun)) }
                }
            }
        }
        return disks
    }

    /// `major:minor` of a disk and its partitions, from `/sys/class/block/<disk>`.
    private static func devices(ofDisk disk: String, sysfsRoot: String) -> Set<String> {
        let base = "\(sysfsRoot)/class/block/\(disk)"
        var devices = Set<String>()
        if let number = contents(base + "/dev") { devices.insert(number) }
        for child in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] where child.hasPrefix(disk) {
            if let number = contents("\(base)/\(child)/dev") { devices.insert(number) }
        }
        return devices
    }

    private static func contents(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `major:minor` of a device number, as mountinfo writes it.
    static func deviceNumber(_ device: dev_t) -> String {
        let value = UInt64(device)
        let major = ((value >> 8) & 0xfff) | ((value >> 32) & ~UInt64(0xfff))
        let minor = (value & 0xff) | ((value >> 12) & ~UInt64(0xff))
        return "\(major):\(minor)"
    }
}
