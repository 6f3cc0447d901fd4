import CVMSnapSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An open file descriptor, as swift-system's: every call retried on EINTR where POSIX allows it, failures thrown as
/// `SystemError`, descriptors opened close-on-exec so that no child inherits them by accident. The owner closes it
/// once (`close()` or `closeAfter`).
public struct FileDescriptor: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Opens `path` close-on-exec (`flags` from O_RDONLY, O_WRONLY, O_CREAT...).
    public static func open(_ path: String, _ flags: Int32, permissions: mode_t = 0o644) throws(SystemError)
        -> FileDescriptor
    {
        FileDescriptor(
            rawValue: try retryingOnInterrupt("open \(path)") { Glibc.open(path, flags | O_CLOEXEC, permissions) })
    }

    /// A close-on-exec pipe: bytes written to `write` are read from `read`.
    public static func pipe() throws(SystemError) -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        _ = try retryingOnInterrupt("pipe") { vmsnap_pipe_cloexec(&fds) }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    /// Reads at most `buffer.count` bytes; 0 at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        try retryingOnInterrupt("read") { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// One read of at most `count` bytes; empty at end of file.
    public func read(upToCount count: Int) throws(SystemError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(SystemError) in try read(into: buffer) }
        }
        return Array(bytes[0..<(try got.get())])
    }

    /// Reads at most `buffer.count` bytes at `offset` without moving the file position (pread); 0 at end of file.
    public func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        try retryingOnInterrupt("pread") { pread(rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// The open file's status (fstat): size, inode, ...
    public func status() throws(SystemError) -> stat {
        var info = stat()
        _ = try retryingOnInterrupt("fstat") { fstat(rawValue, &info) }
        return info
    }

    /// Writes all of `bytes`, continuing after partial writes.
    public func writeAll(_ bytes: some Collection<UInt8>) throws(SystemError) {
        let bytes = Array(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Result { () throws(SystemError) in
                    try retryingOnInterrupt("write") {
                        Glibc.write(rawValue, buffer.baseAddress! + offset, buffer.count - offset)
                    }
                }
            }
            offset += try written.get()
        }
    }

    /// Writes one byte (a wake-up for a `poll` on the other end); a full pipe is fine (EAGAIN is not an error
    /// for a wake-up that is already pending).
    public func writeWakeUp(with value: UInt8 = 1) {
        var byte = value
        _ = try? retryingOnInterrupt("write") { Glibc.write(rawValue, &byte, 1) }
    }

    /// Flushes the file's data and metadata to the device (`fsync`).
    public func synchronize() throws(SystemError) {
        _ = try retryingOnInterrupt("fsync") { fsync(rawValue) }
    }

    /// Makes reads and writes return EAGAIN instead of waiting.
    public func setNonBlocking() {
        _ = fcntl(rawValue, F_SETFL, fcntl(rawValue, F_GETFL) | O_NONBLOCK)
    }

    /// Closes the descriptor. Not retried on EINTR: Linux has released the descriptor even then, and a retry
    /// could close one that another thread has just been given.
    public func close() {
        _ = Glibc.close(rawValue)
    }

    /// Runs `body`, then closes the descriptor whatever happened.
    public func closeAfter<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        defer { close() }
        return try body()
    }
}
