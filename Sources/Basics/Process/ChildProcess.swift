import CVMSnapSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why a child process could not be started.
public struct SpawnError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The executable that was to be started.
    public var executable: String
    /// The `errno` posix_spawn returned (ENOENT, EACCES, ...).
    public var errorNumber: Int32

    public var description: String { "cannot start \(executable): \(SystemError.text(errorNumber))" }
}

/// A child process started with posix_spawn, its standard streams wired to descriptors the caller owns.
public struct ChildProcess: Sendable {
    /// The child's process id (also its process group id when started in a new group).
    public let pid: pid_t

    /// A child of this process known by its pid (started by `spawn` elsewhere), to wait for.
    public init(pid: pid_t) { self.pid = pid }

    /// Starts `executable` with `arguments` (argv[0] excluded); nil streams read or write /dev/null.
    ///
    /// Signal dispositions and the signal mask are reset to the defaults in the child; with `newProcessGroup`
    /// the child leads a process group of its own, so `kill(-pid, ...)` reaches everything it starts; with
    /// `newSession` it leads a new session (and process group), so nothing sent to the caller's group reaches it.
    public static func spawn(
        executable: String, arguments: [String], standardInput: FileDescriptor? = nil,
        standardOutput: FileDescriptor? = nil, standardError: FileDescriptor? = nil, newProcessGroup: Bool = false,
        newSession: Bool = false
    ) throws(SpawnError) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (source, target) in [(standardInput, Int32(0)), (standardOutput, 1), (standardError, 2)] {
            if let source {
                posix_spawn_file_actions_adddup2(&actions, source.rawValue, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        // Nothing else of this process leaks into the child (a leaked write descriptor would keep a pipe open
        // or make exec of a script fail with ETXTBSY).
        vmsnap_spawn_close_from(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newSession {
            flags |= Int32(vmsnap_spawn_setsid_flag())
        } else if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        var result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        // ETXTBSY: some process still holds the file open for writing, typically another thread's fork that has
        // not reached exec yet (its close-on-exec descriptors are still open). That lasts microseconds: retry.
        for delay in etxtbsyRetryDelays where result == ETXTBSY {
            usleep(delay)
            result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        }
        guard result == 0 else { throw SpawnError(executable: executable, errorNumber: result) }
        return ChildProcess(pid: pid)
    }

    /// Pauses (microseconds) between retries of a spawn that answered ETXTBSY: about 150 ms in all.
    static let etxtbsyRetryDelays: [useconds_t] = [1_000, 2_000, 5_000, 10_000, 20_000, 40_000, 80_000]

    /// Blocks until the child exits and reaps it; returns its wait status.
    @discardableResult
    public func waitForExit() -> Int32 {
        var status: Int32 = 0
        _ = try? retryingOnInterrupt("waitpid") { waitpid(pid, &status, 0) }
        return status
    }
}

/// Both ends of a close-on-exec pipe, so no other child inherits them by accident.
public struct PipeDescriptors: Sendable {
    public let read: FileDescriptor
    public let write: FileDescriptor

    /// Creates the pipe; fails only when the process is out of descriptors.
    public init() throws(SpawnError) {
        do {
            (read, write) = try FileDescriptor.pipe()
        } catch {
            throw SpawnError(executable: "pipe", errorNumber: error.number)
        }
    }

    /// Two pipes; when the second cannot be made the first is closed again.
    public static func pair() throws(SpawnError) -> (PipeDescriptors, PipeDescriptors) {
        let first = try PipeDescriptors()
        do {
            return (first, try PipeDescriptors())
        } catch {
            first.closeBoth()
            throw error
        }
    }

    /// Closes both ends, for a pipe that will not be used after all.
    public func closeBoth() {
        read.close()
        write.close()
    }
}

/// Wait-status helpers (the WIFEXITED family is a set of C macros Swift cannot import).
public enum WaitStatus {
    /// The exit code when the process exited normally.
    public static func exitCode(_ status: Int32) -> Int32? { status & 0x7f == 0 ? (status >> 8) & 0xff : nil }
    /// The terminating signal when a signal ended the process.
    public static func signal(_ status: Int32) -> Int32? {
        let signal = status & 0x7f
        return signal != 0 && signal != 0x7f ? signal : nil
    }
}
