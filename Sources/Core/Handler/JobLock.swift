import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The lock a handler directory's job holds while it runs (`job.lock`, flock, the holder's pid inside): two jobs
/// never run at once, and `disable` finds the running one. The kernel drops the lock when its holder dies.
public final class JobLock: Sendable {
    /// The lock file's name in the handler directory.
    public static let fileName = "job.lock"

    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// Takes the lock, waiting (polling every `interval`) while another job holds it, at most `timeout`; nil when
    /// it was still held then. Records this process's pid in the file.
    public static func acquire(
        directory: String, timeout: Duration, interval: Duration = .milliseconds(250)
    ) async throws -> JobLock? {
        let descriptor = try openFile(directory: directory)
        let deadline = ContinuousClock.now + timeout
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, ContinuousClock.now < deadline else {
                close(descriptor)
                return nil
            }
            try? await Task.sleep(for: interval)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
        return JobLock(descriptor: descriptor)
    }

    /// The pid of the process holding the lock, nil when no job runs.
    public static func holder(directory: String) -> pid_t? {
        guard let descriptor = try? openFile(directory: directory) else { return nil }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_SH | LOCK_NB) != 0 else {
            flock(descriptor, LOCK_UN)
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &bytes, bytes.count, 0)
        guard count > 0 else { return nil }
        return pid_t(String(decoding: bytes[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func openFile(directory: String) throws -> Int32 {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent(fileName)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CocoaError(
                .fileWriteUnknown,
                userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: SystemError.text(errno)])
        }
        return descriptor
    }
}
