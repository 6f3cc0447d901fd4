import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why the loop-filesystem fixture refused or failed.
public struct LoopFilesystemError: Error, CustomStringConvertible {
    public var description: String
}

/// A real ext4 filesystem on a loop device that a test creates and removes (needs root).
///
/// The guard in `testOwnedMounts` refuses `/` and any mount that existed before the fixture created it, so
/// tests can never hand a real filesystem of the machine to the freezer.
public final class LoopFilesystem: Sendable {
    /// Where the filesystem is mounted (a fresh directory under the temporary directory).
    public let mountPoint: String
    /// The loop device it lives on, e.g. /dev/loop3.
    public let device: String
    private let directory: String
    private let preexistingMounts: Set<String>

    private init(mountPoint: String, device: String, directory: String, preexistingMounts: Set<String>) {
        self.mountPoint = mountPoint
        self.device = device
        self.directory = directory
        self.preexistingMounts = preexistingMounts
    }

    /// Creates an image file, formats it ext4, attaches a loop device and mounts it.
    public static func create(megabytes: Int = 8) throws -> LoopFilesystem {
        let preexisting = try currentMountPoints()
        let parent = URL(fileURLWithPath: NSTemporaryDirectory()).resolvingSymlinksInPath()
        var template = Array(parent.appendingPathComponent("vmsnap-loop-XXXXXX").path.utf8CString)
        guard let made = mkdtemp(&template) else { throw LoopFilesystemError(description: "mkdtemp failed") }
        let directory = String(cString: made)
        let image = directory + "/image.ext4"
        let mountPoint = directory + "/mnt"
        do {
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
            guard FileManager.default.createFile(atPath: image, contents: nil) else {
                throw LoopFilesystemError(description: "cannot create \(image)")
            }
            guard truncate(image, off_t(megabytes) << 20) == 0 else {
                throw LoopFilesystemError(description: "cannot size \(image)")
            }
            try command("/sbin/mkfs.ext4", "-q", "-F", image)
            let device = try command("/sbin/losetup", "--find", "--show", image)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            do {
                try command("/bin/mount", device, mountPoint)
            } catch {
                _ = try? command("/sbin/losetup", "-d", device)
                throw error
            }
            return LoopFilesystem(
                mountPoint: mountPoint, device: device, directory: directory, preexistingMounts: preexisting)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Creates `count` filesystems; removes the ones already made if one fails.
    public static func create(count: Int, megabytes: Int = 8) throws -> [LoopFilesystem] {
        var made: [LoopFilesystem] = []
        do {
            for _ in 0..<count { made.append(try create(megabytes: megabytes)) }
        } catch {
            made.forEach { $0.remove() }
            throw error
        }
        return made
    }

    /// The mount points of `filesystems`, after checking each is this fixture's own fresh loop mount.
    public static func testOwnedMounts(_ filesystems: [LoopFilesystem]) throws -> [String] {
        let mounted = try currentMountSources()
        return try filesystems.map { filesystem in
            let path = filesystem.mountPoint
            guard path != "/", !filesystem.preexistingMounts.contains(path) else {
                throw LoopFilesystemError(description: "refusing \(path): not a mount this test created")
            }
            guard mounted[path] == filesystem.device else {
                throw LoopFilesystemError(description: "refusing \(path): it is not mounted from \(filesystem.device)")
            }
            return path
        }
    }

    /// Thaws (in case a test left it frozen), unmounts, detaches the loop device and deletes the image.
    public func remove() {
        _ = try? Self.command("/sbin/fsfreeze", "-u", mountPoint)
        if (try? Self.command("/bin/umount", mountPoint)) == nil {
            _ = try? Self.command("/bin/umount", "-l", mountPoint)
        }
        _ = try? Self.command("/sbin/losetup", "-d", device)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts a child process that writes `file` under the mount point; it blocks while the filesystem is frozen.
    public func startWriter(file: String = "written.txt") throws -> WriterProbe {
        try WriterProbe(path: mountPoint + "/" + file)
    }

    private static func currentMountPoints() throws -> Set<String> { Set(try currentMountSources().keys) }

    /// Mount point -> source device, from /proc/self/mountinfo.
    private static func currentMountSources() throws -> [String: String] {
        let text = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let separator = fields.firstIndex(of: "-"), separator + 2 < fields.count, fields.count > 4 else {
                continue
            }
            result[String(fields[4])] = String(fields[separator + 2])
        }
        return result
    }

    @discardableResult
    private static func command(_ executable: String, _ arguments: String...) throws -> String {
        let output = try ProcessOutput.run(URL(fileURLWithPath: executable), arguments)
        guard output.status == 0 else {
            throw LoopFilesystemError(
                description:
                    "\(executable) \(arguments.joined(separator: " ")) exited \(output.status): \(output.stderr)")
        }
        return output.stdout
    }
}

/// A writer child process (`/bin/sh -c 'echo ... > file'`) whose completion a test can wait for (the
/// Process is only read after its termination handler ran).
public final class WriterProbe: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let process: Process

    init(path: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "echo written > \"$0\"", path]
        process.terminationHandler = { [finished] _ in finished.signal() }
        try process.run()
    }

    /// Whether the write completed within `seconds` (true stays true on later calls).
    public func completed(within seconds: Double) -> Bool {
        guard finished.wait(timeout: .now() + seconds) == .success else { return false }
        finished.signal()
        return process.terminationStatus == 0
    }
}
