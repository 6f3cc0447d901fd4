import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A rule that keeps mounts from being frozen, and where it was written.
public struct MountSkipRule: Sendable, Equatable {
    /// An exact mount point, or (with `glob`) an fnmatch pattern whose `*` does not cross `/`.
    public var pattern: String
    public var glob: Bool
    public var source: SettingSource

    public init(pattern: String, glob: Bool, source: SettingSource) {
        self.pattern = pattern
        self.glob = glob
        self.source = source
    }

    func matches(_ mountPoint: String) -> Bool {
        pattern == mountPoint || (glob && fnmatch(pattern, mountPoint, FNM_PATHNAME) == 0)
    }
}

/// What the plan does with one mount: freeze it, or every reason it is skipped with the source of each.
public struct MountDecision: Sendable, Equatable {
    public var mountPoint: String
    public var filesystemType: String
    /// What is mounted (`/dev/sda1`, `tmpfs`, ...).
    public var mountSource: String
    /// `major:minor` of the filesystem.
    public var device: String
    /// Empty when the mount is frozen.
    public var skipReasons: [Sourced<String>]

    public var frozen: Bool { skipReasons.isEmpty }
}

/// Why mounts named on the command line cannot be planned.
public struct MountPlanError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
}

/// Decides, from /proc/self/mountinfo, which filesystems a job freezes and why every other mount is skipped.
///
/// Frozen: ext3, ext4, xfs and btrfs, once per filesystem (a bind mount or second mount of a frozen filesystem is
/// skipped: a second FIFREEZE would fail with EBUSY), `/` last. Skipped without configuration: loop-backed
/// filesystems and the Azure resource disk wherever it is mounted (as the peer does) unless `--mount` names them.
/// With `--mount`, only the named mounts. `mountsToSkip` (vmsnap's config, globs) and `MountsToSkip`
/// (vmbackup.conf, exact paths) apply to discovered and named mounts alike, and skipping a mount skips its
/// filesystem at every other mount point too.
public enum MountPlanner {
    /// Filesystem types that support FIFREEZE and that the peer freezes.
    public static let freezableTypes: Set<String> = ["ext3", "ext4", "xfs", "btrfs"]

    /// The decision for every mount in `mountInfo`, in mountinfo order.
    public static func decide(
        mountInfo: String, explicit: Sourced<[String]>?, skipRules: [MountSkipRule], devices: BlockDevices
    ) throws(MountPlanError) -> [MountDecision] {
        let entries = mountInfo.split(separator: "\n").compactMap(MountInfoEntry.init(line:))
        let named = try explicit.map { explicit throws(MountPlanError) in
            try normalized(explicit.value, mountPoints: Set(entries.map(\.mountPoint)))
        }
        var decisions = entries.map { entry in
            MountDecision(
                mountPoint: entry.mountPoint, filesystemType: entry.filesystemType, mountSource: entry.source,
                device: entry.device, skipReasons: [])
        }
        var skippedFilesystems: [String: (mount: String, source: SettingSource)] = [:]
        for (index, entry) in entries.enumerated() {
            let isNamed = named?.contains(entry.mountPoint) ?? false
            var reasons: [Sourced<String>] = []
            if let explicit, !isNamed {
                reasons.append(Sourced("not named by --mount", explicit.source))
            }
            if !freezableTypes.contains(entry.filesystemType) {
                reasons.append(Sourced("\(entry.filesystemType) is not frozen (only ext3, ext4, xfs, btrfs)", .builtIn))
            }
            if !isNamed && BlockDevices.isLoop(entry) {
                reasons.append(Sourced("loop-backed (\(entry.source))", .builtIn))
            }
            if !isNamed && devices.resourceDiskDevices.contains(entry.device) {
                let identity = devices.resourceDiskIdentity.map { " (\($0))" } ?? ""
                reasons.append(Sourced("the Azure resource disk\(identity)", .builtIn))
            }
            for rule in skipRules where rule.matches(entry.mountPoint) {
                reasons.append(Sourced("listed in \(Self.listName(rule.source)) (\(rule.pattern))", rule.source))
                if skippedFilesystems[entry.device] == nil {
                    skippedFilesystems[entry.device] = (entry.mountPoint, rule.source)
                }
            }
            decisions[index].skipReasons = reasons
        }
        var frozenFilesystems: [String: String] = [:]
        for index in decisions.indices {
            let device = decisions[index].device
            if let skipped = skippedFilesystems[device], skipped.mount != decisions[index].mountPoint {
                decisions[index].skipReasons.append(
                    Sourced("its filesystem is skipped at \(skipped.mount)", skipped.source))
            }
            guard decisions[index].frozen else { continue }
            if let first = frozenFilesystems[device] {
                decisions[index].skipReasons.append(
                    Sourced("the same filesystem as \(first), frozen there", .builtIn))
            } else {
                frozenFilesystems[device] = decisions[index].mountPoint
            }
        }
        return decisions
    }

    /// The mount points to freeze, in freeze order: as named (or in mountinfo order), `/` last.
    public static func freezeOrder(_ decisions: [MountDecision], explicit: [String]?) -> [String] {
        let frozen = decisions.filter(\.frozen).map(\.mountPoint)
        let ordered = explicit.map { names in names.map(trimmed).filter(frozen.contains) } ?? frozen
        return rootLast(ordered)
    }

    /// The mounts as given, with `/` moved last.
    public static func rootLast(_ mounts: [String]) -> [String] {
        mounts.filter { $0 != "/" } + mounts.filter { $0 == "/" }
    }

    private static func normalized(_ names: [String], mountPoints: Set<String>) throws(MountPlanError) -> Set<String> {
        var result = Set<String>()
        for name in names {
            guard name.hasPrefix("/") else {
                throw MountPlanError(description: "--mount \(name): expected an absolute mount point")
            }
            let path = trimmed(name)
            guard mountPoints.contains(path) else {
                throw MountPlanError(description: "--mount \(name): not a mount point (see /proc/self/mountinfo)")
            }
            result.insert(path)
        }
        return result
    }

    private static func trimmed(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    private static func listName(_ source: SettingSource) -> String {
        if case .vmbackupConf = source { return "MountsToSkip" }
        return "mountsToSkip"
    }
}
