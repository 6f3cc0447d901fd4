import Foundation
import Synchronization
import Testing

@testable import Basics

#if canImport(Glibc)
    import Glibc
#endif

/// The one descriptor type: EINTR retried, other failures thrown with the call and errno, partial writes finished.
@Suite struct FileDescriptorTests {
    @Test func anInterruptedCallIsRepeatedAndAnyOtherFailureIsThrown() throws {
        var calls = 0
        let result = try retryingOnInterrupt("read") { () -> Int in
            calls += 1
            guard calls == 3 else {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == 7 && calls == 3)
        #expect(throws: SystemError("write", number: EBADF)) {
            _ = try retryingOnInterrupt("write") { () -> Int in
                errno = EBADF
                return -1
            }
        }
    }

    @Test func openNamesTheFileAndTheReason() {
        #expect(throws: SystemError("open /nonexistent/vmsnap", number: ENOENT)) {
            _ = try FileDescriptor.open("/nonexistent/vmsnap", O_RDONLY)
        }
        let error = SystemError("open /nonexistent/vmsnap", number: ENOENT)
        #expect(error.description == "open /nonexistent/vmsnap: No such file or directory")
    }

    @Test func descriptorsAreCloseOnExec() throws {
        let (read, write) = try FileDescriptor.pipe()
        defer {
            read.close()
            write.close()
        }
        let file = try FileDescriptor.open("/dev/null", O_RDONLY)
        defer { file.close() }
        for descriptor in [read, write, file] { #expect(fcntl(descriptor.rawValue, F_GETFD) & FD_CLOEXEC != 0) }
    }

    /// More than a pipe holds (64 KiB) goes through in several partial writes while the other end reads.
    @Test func writeAllFinishesPartialWritesAndReadEndsEmptyAtEndOfFile() async throws {
        let (read, write) = try FileDescriptor.pipe()
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let writer = Thread {
            write.closeAfter { try? write.writeAll(payload) }
        }
        writer.start()
        var received: [UInt8] = []
        while true {
            let chunk = try read.read(upToCount: 10_000)
            if chunk.isEmpty { break }
            received += chunk
        }
        read.close()
        #expect(received == payload)
    }

    /// A signal handled without SA_RESTART interrupts a blocked read (EINTR); the read goes on and returns the
    /// bytes that come later instead of failing.
    @Test func aReadInterruptedByASignalGoesOn() async throws {
        let (read, write) = try FileDescriptor.pipe()
        defer {
            read.close()
            write.close()
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0  // no SA_RESTART: the kernel returns EINTR from read(2)
        var previous = sigaction()
        sigaction(SIGUSR2, &action, &previous)
        defer { sigaction(SIGUSR2, &previous, nil) }
        let readerThread = Mutex<pthread_t?>(nil)
        let result = Mutex<[UInt8]?>(nil)
        let reader = Thread {
            readerThread.withLock { $0 = pthread_self() }
            let bytes = try? read.read(upToCount: 16)
            result.withLock { $0 = bytes }
        }
        reader.start()
        while readerThread.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(100))  // the reader is blocked in read(2) by now
        for _ in 0..<3 {
            pthread_kill(readerThread.withLock { $0! }, SIGUSR2)
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(result.withLock { $0 } == nil, "the read returned before any byte was written")
        try write.writeAll("late".utf8)
        for _ in 0..<200 where result.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
        #expect(result.withLock { $0 } == Array("late".utf8))
    }
}
