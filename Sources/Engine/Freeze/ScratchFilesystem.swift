import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why a scratch filesystem could not be made.
public struct ScratchFilesystemError: Error, CustomStringConvertible {
    public var description: String
}

/// A throwaway ext4 filesystem on a loop device, for the freeze benchmark and tests (needs root).
///
/// `create` makes an image file in a fresh directory (under the temporary directory unless told otherwise),
/// formats it, attaches a loop device and mounts it in that directory; `remove` thaws, unmounts, detaches and deletes everything.
public final class ScratchFilesystem: Sendable {
    /// Where the filesystem is mounted.
    public let mountPoint: String
    /// The loop device, e.g. /dev/loop3.
    public let device: String
    private let directory: String

    private init(mountPoint: String, device: String, directory: String) {
        self.mountPoint = mountPoint
        self.device = device
        self.directory = directory
    }

    /// Makes and mounts one filesystem of `megabytes`, its image under `imageDirectory` (default: the
    /// temporary directory).
    public static func create(megabytes: Int = 8, imageDirectory: String? = nil) throws -> ScratchFilesystem {
        let parent = URL(fileURLWithPath: imageDirectory ?? NSTemporaryDirectory()).resolvingSymlinksInPath()
        var template = Array(parent.appendingPathComponent("vmsnap-loop-XXXXXX").path.utf8CString)
        guard let made = mkdtemp(&template) else { throw ScratchFilesystemError(description: "mkdtemp failed") }
        let directory = String(cString: made)
        let image = directory + "/image.ext4"
        let mountPoint = directory + "/mnt"
        do {
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
            guard FileManager.default.createFile(atPath: image, contents: nil),
                truncate(image, off_t(megabytes) << 20) == 0
            else { throw ScratchFilesystemError(description: "cannot create the image \(image)") }
            // No lazy initialisation: a background ext4lazyinit writer would make every FIFREEZE wait for it.
            try run("/sbin/mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", image)
            let device = try run("/sbin/losetup", "--find", "--show", image)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            do {
                try run("/bin/mount", device, mountPoint)
            } catch {
                _ = try? run("/sbin/losetup", "-d", device)
                throw error
            }
            return ScratchFilesystem(mountPoint: mountPoint, device: device, directory: directory)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Makes `count` filesystems; removes the ones already made if one fails.
    public static func create(count: Int, megabytes: Int = 8, imageDirectory: String? = nil) throws
        -> [ScratchFilesystem]
    {
        var made: [ScratchFilesystem] = []
        do {
            for _ in 0..<count { made.append(try create(megabytes: megabytes, imageDirectory: imageDirectory)) }
        } catch {
            made.forEach { $0.remove() }
            throw error
        }
        return made
    }

    /// Thaws (in case it was left frozen), unmounts, detaches the loop device and deletes the image.
    public func remove() {
        _ = try? Self.run("/sbin/fsfreeze", "-u", mountPoint)
        if (try? Self.run("/bin/umount", mountPoint)) == nil {
            _ = try? Self.run("/bin/umount", "-l", mountPoint)
        }
        _ = try? Self.run("/sbin/losetup", "-d", device)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Mount point -> source device of every current mount (from /proc/self/mountinfo).
    public static func currentMounts() throws -> [String: String] {
        let text = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        var result: [String: String] = [:]
        for entry in text.split(separator: "\n").compactMap(MountInfoEntry.init(line:)) {
            result[entry.mountPoint] = entry.source
        }
        return result
    }

    @discardableResult
    private static func run(_ executable: String, _ arguments: String...) throws -> String {
        let result = try CommandOutput.run(executable, arguments)
        guard result.exitCode == 0 else {
            throw ScratchFilesystemError(
                description:
                    "\(executable) \(arguments.joined(separator: " ")) exited \(result.exitCode ?? result.status): "
                    + result.standardError.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return result.standardOutput
    }
}
