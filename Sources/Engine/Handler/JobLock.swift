import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The lock a handler directory's job holds while it runs (`job.lock`, flock, the holder's pid inside): two jobs
/// never run at once, and `disable` finds the running one. A job waiting for it holds `waiting/<pid>` (also
/// flocked) meanwhile, so `disable` finds the waiting ones too. The kernel drops both when their holder dies.
public final class JobLock: Sendable {
    /// The lock file's name in the handler directory.
    public static let fileName = "job.lock"
    /// The folder of the waiting jobs' files in the handler directory.
    static let waitingFolder = "waiting"

    private let descriptor: FileDescriptor

    private init(descriptor: FileDescriptor) { self.descriptor = descriptor }

    deinit { descriptor.close() }

    /// Takes the lock, waiting (polling every `interval`) while another job holds it, at most `timeout` and only
    /// while `keepWaiting()` says so; nil when it was not taken. Records this process's pid in the file.
    public static func acquire(
        directory: String, timeout: Duration, interval: Duration = .milliseconds(250),
        keepWaiting: @Sendable () -> Bool = { true }
    ) async throws -> JobLock? {
        let descriptor = try openFile((directory as NSString).appendingPathComponent(fileName))
        guard flock(descriptor.rawValue, LOCK_EX | LOCK_NB) != 0 else { return JobLock(holding: descriptor) }
        // Locked and filled under a hidden name first, so that `waiters` never takes it for a dead job's file.
        let folder = (directory as NSString).appendingPathComponent(waitingFolder) as NSString
        let waitingPath = folder.appendingPathComponent(String(getpid()))
        let preparing = folder.appendingPathComponent(".\(getpid())")
        let waiting = try openFile(preparing)
        _ = try? retryingOnInterrupt("flock") { flock(waiting.rawValue, LOCK_EX) }
        recordPID(in: waiting)
        rename(preparing, waitingPath)
        defer {
            unlink(waitingPath)
            waiting.close()
        }
        let deadline = ContinuousClock.now + timeout
        while flock(descriptor.rawValue, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, ContinuousClock.now < deadline, keepWaiting() else {
                descriptor.close()
                return nil
            }
            try? await Task.sleep(for: interval)
        }
        return JobLock(holding: descriptor)
    }

    /// The pid of the process holding the lock, nil when no job runs.
    public static func holder(directory: String) -> pid_t? {
        lockedPID((directory as NSString).appendingPathComponent(fileName))
    }

    /// The pids of the jobs waiting for the lock (files of jobs that died are removed).
    public static func waiters(directory: String) -> [pid_t] {
        let folder = (directory as NSString).appendingPathComponent(waitingFolder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") }.compactMap { name in
            let path = (folder as NSString).appendingPathComponent(name)
            guard let pid = lockedPID(path) else {
                unlink(path)
                return nil
            }
            return pid
        }
    }

    private convenience init(holding descriptor: FileDescriptor) {
        Self.recordPID(in: descriptor)
        self.init(descriptor: descriptor)
    }

    private static func recordPID(in descriptor: FileDescriptor) {
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor.rawValue, 0)
        _ = pwrite(descriptor.rawValue, pid, pid.count, 0)
    }

    /// The pid written in `path` when some process holds its flock; nil when nobody does.
    private static func lockedPID(_ path: String) -> pid_t? {
        guard FileManager.default.fileExists(atPath: path), let descriptor = try? openFile(path) else { return nil }
        defer { descriptor.close() }
        guard flock(descriptor.rawValue, LOCK_SH | LOCK_NB) != 0 else {
            flock(descriptor.rawValue, LOCK_UN)
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = bytes.withUnsafeMutableBytes { (try? descriptor.read(at: 0, into: $0)) ?? 0 }
        guard count > 0 else { return nil }
        return pid_t(String(decoding: bytes[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func openFile(_ path: String) throws -> FileDescriptor {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return try FileDescriptor.open(path, O_RDWR | O_CREAT, permissions: 0o600)
    }
}
