import Core
import Foundation

/// Why the loop-filesystem fixture refused a mount.
public struct LoopFilesystemError: Error, CustomStringConvertible {
    public var description: String
}

/// A real ext4 filesystem on a loop device that a test creates and removes (needs root).
///
/// `testOwnedMounts` refuses `/` and any mount that existed before the fixture created it, so a test can
/// never hand a real filesystem of the machine to the freezer.
public final class LoopFilesystem: Sendable {
    private let scratch: ScratchFilesystem
    private let preexistingMounts: Set<String>

    /// Where the filesystem is mounted (a fresh directory under the temporary directory).
    public var mountPoint: String { scratch.mountPoint }

    private init(scratch: ScratchFilesystem, preexistingMounts: Set<String>) {
        self.scratch = scratch
        self.preexistingMounts = preexistingMounts
    }

    /// Creates `count` filesystems (images under `imageDirectory`, default the temporary directory); removes the
    /// ones already made if one fails.
    public static func create(count: Int, megabytes: Int = 8, imageDirectory: String? = nil) throws
        -> [LoopFilesystem]
    {
        let preexisting = Set(try ScratchFilesystem.currentMounts().keys)
        return try ScratchFilesystem.create(count: count, megabytes: megabytes, imageDirectory: imageDirectory).map {
            LoopFilesystem(scratch: $0, preexistingMounts: preexisting)
        }
    }

    /// The mount points of `filesystems`, after checking each is this fixture's own fresh loop mount.
    public static func testOwnedMounts(_ filesystems: [LoopFilesystem]) throws -> [String] {
        let mounted = try ScratchFilesystem.currentMounts()
        return try filesystems.map { filesystem in
            let path = filesystem.mountPoint
            guard path != "/", !filesystem.preexistingMounts.contains(path) else {
                throw LoopFilesystemError(description: "refusing \(path): not a mount this test created")
            }
            guard mounted[path] == filesystem.scratch.device else {
                throw LoopFilesystemError(
                    description: "refusing \(path): it is not mounted from \(filesystem.scratch.device)")
            }
            return path
        }
    }

    /// Runs `body` with `count` fresh loop filesystems, their checked mount points and a private freeze lock file
    /// path; removes all of them afterwards.
    public static func withTestMounts(
        _ count: Int, _ body: ([LoopFilesystem], [String], String) async throws -> Void
    ) async throws {
        let filesystems = try create(count: count)
        let lockPath = NSTemporaryDirectory() + "/vmsnap-lock-\(UUID().uuidString)/SafeFreezeLockFile"
        defer {
            filesystems.forEach { $0.remove() }
            try? FileManager.default.removeItem(atPath: (lockPath as NSString).deletingLastPathComponent)
        }
        try await body(filesystems, try testOwnedMounts(filesystems), lockPath)
    }

    /// Thaws (in case a test left it frozen), unmounts, detaches the loop device and deletes the image.
    public func remove() { scratch.remove() }

    /// Copies the block device into a new image file in `directory` (the test's stand-in for a disk snapshot: take
    /// it while frozen); returns the image's path.
    public func copyImage(into directory: String = NSTemporaryDirectory()) throws -> String {
        let image = directory + "/vmsnap-copy-\(UUID().uuidString).img"
        let output = try ProcessOutput.runWaiting(
            URL(fileURLWithPath: "/bin/cp"), ["--sparse=always", scratch.device, image])
        guard output.status == 0 else { throw LoopFilesystemError(description: "cp: \(output.stderr)") }
        return image
    }

    /// Starts a child process that writes `file` under the mount point; it blocks while the filesystem is frozen.
    public func startWriter(file: String = "written.txt") throws -> WriterProbe {
        try WriterProbe(path: mountPoint + "/" + file)
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

/// An image copied from a frozen loop filesystem, attached and mounted at a path of its own as a restore would.
public final class RestoredImage: Sendable {
    public let mountPoint: String
    private let device: String
    private let image: String

    private init(mountPoint: String, device: String, image: String) {
        self.mountPoint = mountPoint
        self.device = device
        self.image = image
    }

    /// Attaches `image` to a loop device and mounts it; deletes the image when that fails.
    public static func mount(_ image: String) throws -> RestoredImage {
        func run(_ tool: String, _ arguments: [String]) throws -> String {
            let output = try ProcessOutput.runWaiting(URL(fileURLWithPath: tool), arguments)
            guard output.status == 0 else {
                try? FileManager.default.removeItem(atPath: image)
                throw LoopFilesystemError(description: "\(tool): \(output.stderr)")
            }
            return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let mountPoint = NSTemporaryDirectory() + "vmsnap-restored-\(UUID().uuidString)/mnt"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let device = try run("/sbin/losetup", ["--find", "--show", image])
        do {
            _ = try run("/bin/mount", [device, mountPoint])
        } catch {
            _ = try? ProcessOutput.runWaiting(URL(fileURLWithPath: "/sbin/losetup"), ["-d", device])
            throw error
        }
        return RestoredImage(mountPoint: mountPoint, device: device, image: image)
    }

    /// Unmounts, detaches and deletes the copy.
    public func remove() {
        _ = try? ProcessOutput.runWaiting(URL(fileURLWithPath: "/bin/umount"), [mountPoint])
        _ = try? ProcessOutput.runWaiting(URL(fileURLWithPath: "/sbin/losetup"), ["-d", device])
        try? FileManager.default.removeItem(atPath: image)
        try? FileManager.default.removeItem(atPath: (mountPoint as NSString).deletingLastPathComponent)
    }
}
