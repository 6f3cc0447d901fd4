import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One line of /proc/self/mountinfo, the fields mount discovery needs.
public struct MountInfoEntry: Sendable, Equatable {
    /// `major:minor` of the filesystem's device.
    public var device: String
    /// The directory of the filesystem mounted here (not `/` for bind mounts of a subdirectory).
    public var root: String
    public var mountPoint: String
    public var filesystemType: String
    public var source: String

    /// Parses one mountinfo line; nil when it is malformed.
    public init?(line: Substring) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 10, let separator = fields.firstIndex(of: "-"), separator >= 6,
            separator + 2 < fields.count
        else { return nil }
        device = String(fields[2])
        root = Self.unescape(fields[3])
        mountPoint = Self.unescape(fields[4])
        filesystemType = String(fields[separator + 1])
        source = Self.unescape(fields[separator + 2])
    }

    /// Undoes the kernel's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        var characters = Array(field.utf8)[...]
        while let byte = characters.popFirst() {
            if byte == UInt8(ascii: "\\"), characters.count >= 3,
                let value = UInt8(String(decoding: characters.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                characters = characters.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Chooses the filesystems to freeze from /proc/self/mountinfo.
///
/// Only ext3, ext4, xfs and btrfs; never the Azure resource disk (`/mnt/resource`, or `/mnt` when its device
/// is the resource disk); one mount per device (bind mounts and repeated mounts of a filesystem would make
/// the second FIFREEZE fail with EBUSY); no filesystem with a mount matching `mountsToSkip` (exact paths or
/// fnmatch globs, `*` not crossing `/`); `/` last.
public enum MountDiscovery {
    /// Filesystem types that support FIFREEZE and that the peer freezes.
    public static let freezableTypes: Set<String> = ["ext3", "ext4", "xfs", "btrfs"]
    /// The udev links Azure creates for the temporary resource disk.
    public static let resourceDiskLinks = ["/dev/disk/azure/resource-part1", "/dev/disk/cloud/azure_resource-part1"]

    /// The mounts to freeze on this machine, in freeze order.
    public static func discover(
        mountsToSkip: [String], mountInfoPath: String = "/proc/self/mountinfo"
    ) throws -> [String] {
        let text = try String(contentsOfFile: mountInfoPath, encoding: .utf8)
        let resourceDevices = Set(resourceDiskLinks.compactMap(resolvedPath))
        return select(mountInfo: text, mountsToSkip: mountsToSkip, resourceDiskDevices: resourceDevices)
    }

    /// The pure selection: mountinfo text in, mount points in freeze order out.
    public static func select(mountInfo: String, mountsToSkip: [String], resourceDiskDevices: Set<String>)
        -> [String]
    {
        let entries = mountInfo.split(separator: "\n").compactMap(MountInfoEntry.init(line:))
        // Skipping a mount skips its filesystem: a bind mount elsewhere must not freeze it anyway.
        var seenDevices = Set(
            entries.filter { entry in
                isResourceDisk(entry, resourceDiskDevices)
                    || mountsToSkip.contains { matches(pattern: $0, path: entry.mountPoint) }
            }.map(\.device))
        var selected: [String] = []
        for entry in entries where freezableTypes.contains(entry.filesystemType) {
            if seenDevices.insert(entry.device).inserted { selected.append(entry.mountPoint) }
        }
        return rootLast(selected)
    }

    /// The mounts in freeze order: as given, with `/` moved last.
    static func rootLast(_ mounts: [String]) -> [String] {
        mounts.filter { $0 != "/" } + mounts.filter { $0 == "/" }
    }

    private static func isResourceDisk(_ entry: MountInfoEntry, _ resourceDiskDevices: Set<String>) -> Bool {
        entry.mountPoint == "/mnt/resource"
            || (entry.mountPoint == "/mnt" && resourceDiskDevices.contains(resolvedPath(entry.source) ?? entry.source))
    }

    private static func matches(pattern: String, path: String) -> Bool {
        pattern == path || fnmatch(pattern, path, FNM_PATHNAME) == 0
    }

    private static func resolvedPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
