import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A Python process holding a file with POSIX `fcntl.lockf`, as Microsoft's extension and Site Recovery hold the
/// freeze lock, for `seconds`; it has the lock once `start` returns.
public final class LockfHolder: Sendable {
    private let process: Process

    /// The holder's process id (what vmsnap names as the lock's holder).
    public var processID: Int32 { process.processIdentifier }

    private init(process: Process) { self.process = process }

    /// Starts the holder and waits until it holds `path` (its folder is created).
    public static func start(_ path: String, seconds: Double) throws -> LockfHolder {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            "-c",
            """
            import fcntl, os, sys, time
            os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)
            f = open(sys.argv[1], "a+")
            fcntl.lockf(f, fcntl.LOCK_EX)
            print("locked", flush=True)
            time.sleep(float(sys.argv[2]))
            """,
            path, String(seconds),
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        guard LineReader(output.fileHandleForReading).next(containing: "locked") != nil else {
            process.terminate()
            throw LoopFilesystemError(description: "the lockf holder did not take \(path)")
        }
        return LockfHolder(process: process)
    }

    /// Ends the holder (releasing the lock): SIGKILL, as a SIGTERM stays pending when the test process's blocked
    /// signals are inherited.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
