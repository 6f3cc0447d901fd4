import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Quiesces the database workload.conf names through a `vmsnap database-guard` child process, so the quiesce ends on
/// the release, at the guard's deadline, and when the job or the guard dies (SIGKILL included).
public struct GuardedQuiescer: Sendable, Equatable {
    public var workloadConfPath: String
    public var engine: DatabaseEngine
    /// The `vmsnap` executable that runs `database-guard`.
    public var guardExecutable: String
    /// The guard's deadline from its start: the quiesce never outlives it.
    public var timeout: Duration
    /// The bound of the quiesce statement's wait for locks (lock_wait_timeout, statement_timeout).
    public var lockWait: Duration

    public init(
        workloadConfPath: String, engine: DatabaseEngine, guardExecutable: String = "/proc/self/exe",
        timeout: Duration, lockWait: Duration
    ) {
        self.workloadConfPath = workloadConfPath
        self.engine = engine
        self.guardExecutable = guardExecutable
        self.timeout = timeout
        self.lockWait = lockWait
    }

    /// The lock-wait bound for a quiesce deadline: min(timeout, 10 s) (workloads.md W3).
    public static func lockWait(forTimeout timeout: Duration) -> Duration { min(timeout, .seconds(10)) }

    /// Starts the guard and waits until the quiesce holds; throws the guard's 5xx when it could not be taken.
    func quiesce() async throws(JobFailure) -> HeldQuiesce {
        let arguments = [
            "database-guard", "--workload-conf", workloadConfPath, "--parent-pid", String(getpid()), "--timeout-ms",
            String(timeout.wholeNanoseconds / 1_000_000), "--lock-wait-ms",
            String(lockWait.wholeNanoseconds / 1_000_000),
        ]
        signal(SIGPIPE, SIG_IGN)  // the guard may have exited (a failed quiesce) when the release is written
        let (commands, reports): (PipeDescriptors, PipeDescriptors)
        let process: ChildProcess
        do {
            (commands, reports) = try PipeDescriptors.pair()
            do {
                process = try ChildProcess.spawn(
                    executable: guardExecutable, arguments: arguments, standardInput: commands.read,
                    standardOutput: reports.write)
            } catch {
                commands.closeBoth()
                reports.closeBoth()
                throw error
            }
        } catch {
            throw JobFailure(code: 506, message: "cannot start the database guard: \(error)")
        }
        commands.read.close()
        reports.write.close()
        let held = HeldQuiesce(engine: engine, processID: process.pid, commands: commands.write, reports: reports.read)
        let first = await held.nextMessage()
        guard let first, first.kind == .quiesced else {
            _ = await held.release()
            throw JobFailure(
                code: ResultCode(first?.failureCode ?? 500),
                message: first?.failureMessage ?? "the database guard exited without a report")
        }
        held.quiesced = first
        return held
    }
}

/// A quiesce a database guard holds; `release` (or dropping this object, or this process dying) ends it.
final class HeldQuiesce: @unchecked Sendable {
    let engine: DatabaseEngine
    let processID: pid_t
    private let lock = NSLock()
    private var commands: FileDescriptor?
    private let reports: FileDescriptor
    private var pending: [UInt8] = []
    /// The guard's `quiesced` report.
    var quiesced = DatabaseGuardMessage(kind: .quiesced)

    init(engine: DatabaseEngine, processID: pid_t, commands: FileDescriptor, reports: FileDescriptor) {
        self.engine = engine
        self.processID = processID
        self.commands = commands
        self.reports = reports
    }

    deinit {
        closeCommands()
        reports.close()
    }

    /// Asks the guard to unquiesce and waits for its final report; nil if it died without one.
    func release() async -> DatabaseGuardMessage? {
        lock.withLock { try? commands?.writeAll("release\n".utf8) }
        closeCommands()
        var last: DatabaseGuardMessage?
        while let message = await nextMessage() {
            last = message
            if message.kind == .finished { break }
        }
        let pid = processID
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread {
                ChildProcess(pid: pid).waitForExit()
                done.resume()
            }.start()
        }
        return last?.kind == .finished ? last : nil
    }

    private func closeCommands() {
        lock.withLock {
            commands?.close()
            commands = nil
        }
    }

    /// The guard's next report line, read on a thread of its own (a blocking read never holds the cooperative pool).
    func nextMessage() async -> DatabaseGuardMessage? {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.readMessage()) }.start()
        }
    }

    private func readMessage() -> DatabaseGuardMessage? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(pending[..<newline])
                pending.removeSubrange(...newline)
                if let message = try? JSONDecoder().decode(DatabaseGuardMessage.self, from: line) { return message }
                continue
            }
            guard let chunk = try? reports.read(upToCount: 4096), !chunk.isEmpty else { return nil }
            pending += chunk
        }
    }
}
