import Basics
import CVMSnapSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the database guard is asked to do (the arguments of `vmsnap database-guard`); the credentials are read by
/// the guard from workload.conf itself, so they never travel on a command line.
public struct DatabaseGuardRequest: Sendable, Equatable {
    /// The workload.conf naming the engine, client and credentials.
    public var workloadConfPath: String
    /// The job process; the guard releases the database when it dies.
    public var parentPID: pid_t
    /// From the guard's start to the forced release (>= the freeze deadline).
    public var timeout: Duration
    /// How long the quiesce statement may wait for locks (or CHECKPOINT may run) before failing with 509.
    public var lockWait: Duration
    /// How long connecting and authenticating may take before failing with 506.
    public var connectTimeout: Duration

    public init(
        workloadConfPath: String, parentPID: pid_t, timeout: Duration, lockWait: Duration,
        connectTimeout: Duration = .seconds(10)
    ) {
        self.workloadConfPath = workloadConfPath
        self.parentPID = parentPID
        self.timeout = timeout
        self.lockWait = lockWait
        self.connectTimeout = connectTimeout
    }

    /// Margin added to the guard's deadline for the server-side idle limit (wait_timeout, idle_session_timeout).
    static let serverMargin = Duration.seconds(5)

    /// Exists while replication a guard stopped (`role = slave`) is not known to run again: written before STOP
    /// REPLICA, removed once START REPLICA is confirmed; a guard that finds it restarts replication first.
    public var replicationMarkerPath: String { workloadConfPath + ".replication-stopped" }
}

/// The database guard, a process of its own (`vmsnap database-guard`) with the thaw guard's death semantics.
///
/// It runs the engine's client without a shell (as `linux_user` through setpriv), its stdin and stdout on pipes it
/// alone holds, takes the quiesce in that one session and waits (in `poll`) for the first of: `release` or EOF on
/// its command pipe (the job thawed, ended or died), a signal (including the parent-death signal), the deadline, or
/// the session ending. A release sends the unquiesce in the same session; the deadline and signals close the session.
/// When the guard itself dies, even by SIGKILL, the client reads EOF on its stdin and exits, and the server drops the
/// session's locks; the server-side idle limit covers a guard that hangs.
public final class DatabaseGuard {

    private let request: DatabaseGuardRequest
    private let commands: FileDescriptor
    private let reports: FileDescriptor
    private let wake: PipeDescriptors
    private let started = MonotonicClock.now()
    private var clientInput: FileDescriptor?
    private var clientOutput: FileDescriptor?
    private var client: ChildProcess?
    private var pending: [UInt8] = []
    /// The client's last lines, for failure messages (its error lines).
    private var lastLines: [String] = []
    private var password: String?
    private var message = DatabaseGuardMessage(kind: .finished)
    private var session: QuiesceSession?
    /// Whether STOP REPLICA may have run in this guard's session: `finish` restarts replication.
    private var replicationStopped = false

    private init(
        request: DatabaseGuardRequest, commands: FileDescriptor, reports: FileDescriptor, wake: PipeDescriptors
    ) {
        self.request = request
        self.commands = commands
        self.reports = reports
        self.wake = wake
    }

    /// Runs the guard to completion in this process and exits it.
    public static func run(
        _ request: DatabaseGuardRequest, commands: FileDescriptor = FileDescriptor(rawValue: 0),
        reports: FileDescriptor = FileDescriptor(rawValue: 1)
    ) -> Never {
        guard let wake = GuardSignals.install(parentPID: request.parentPID) else { exit(1) }
        DatabaseGuard(request: request, commands: commands, reports: reports, wake: wake).execute()
    }

    private var deadline: UInt64 { started + request.timeout.wholeNanoseconds }

    private func execute() -> Never {
        guard let conf = WorkloadConf.load(path: request.workloadConfPath) else {
            fail(501, "\(request.workloadConfPath): no such file")
        }
        if let failure = conf.failure { fail(failure.code.rawValue, failure.message) }
        password = conf.password
        let session: QuiesceSession
        do {
            session = try QuiesceSession(
                conf: conf, lockWait: request.lockWait,
                serverTimeout: request.timeout + DatabaseGuardRequest.serverMargin,
                connectTimeout: request.connectTimeout)
        } catch {
            fail(error.code.rawValue, error.message)
        }
        self.session = session
        if session.replicationRestart != nil, FileManager.default.fileExists(atPath: request.replicationMarkerPath),
            let problem = restartReplication(session)
        {
            fail(500, "replication a previous job stopped could not be restarted: \(problem)")
        }
        startClient(session)
        send(session.probe)
        let connectLimit = min(deadline, started + request.connectTimeout.wholeNanoseconds + 2_000_000_000)
        guard waitFor(QuiesceSession.connectedMarker, until: connectLimit) == .marker else {
            closeSession()
            fail(506, "cannot connect to \(session.engine.rawValue): \(clientError)")
        }
        if session.stopsReplication {
            guard
                FileManager.default.createFile(
                    atPath: request.replicationMarkerPath, contents: Data("\(getpid())\n".utf8))
            else {
                closeSession()
                fail(500, "cannot write \(request.replicationMarkerPath): replication was not stopped")
            }
            replicationStopped = true
        }
        let quiesceSent = MonotonicClock.now()
        message.connectNanoseconds = quiesceSent - started
        send(session.quiesce)
        let lockLimit = min(deadline, quiesceSent + request.lockWait.wholeNanoseconds + 2_000_000_000)
        switch waitFor(QuiesceSession.lockedMarker, until: lockLimit) {
        case .marker: break
        case .stopped:
            abandon(session)
            fail(500, "stopped while quiescing \(session.engine.rawValue)")
        case .timedOut:
            abandon(session)
            let seconds = Double(MonotonicClock.now() - quiesceSent) / 1e9
            fail(509, "the quiesce was not confirmed within \(String(format: "%.1f", seconds)) s; session closed")
        case .ended:
            closeSession()
            fail(QuiesceSession.acquireFailureCode(clientError).rawValue, "quiesce failed: \(clientError)")
        }
        let locked = MonotonicClock.now()
        message.acquireNanoseconds = locked - quiesceSent
        var quiesced = DatabaseGuardMessage(kind: .quiesced)
        quiesced.connectNanoseconds = message.connectNanoseconds
        quiesced.acquireNanoseconds = message.acquireNanoseconds
        report(quiesced)
        switch waitFor(nil, until: deadline) {
        case .stopped:
            send(session.release)
            let confirmed = waitFor(
                QuiesceSession.unlockedMarker, until: MonotonicClock.now() + 5_000_000_000, watchingCommands: false)
            message.heldNanoseconds = MonotonicClock.now() - quiesceSent
            closeSession()
            if confirmed != .marker { fail(504, "the release was not confirmed: \(clientError); session closed") }
            finish()
        case .timedOut:
            abandon(session)
            message.heldNanoseconds = MonotonicClock.now() - quiesceSent
            fail(510, "the quiesce deadline of \(request.timeout) passed before the release; session closed")
        case .ended, .marker:
            message.heldNanoseconds = MonotonicClock.now() - quiesceSent
            closeSession()
            fail(510, "the database session ended while quiesced: \(clientError)")
        }
    }

    /// How a wait ended.
    private enum WaitEnd: Equatable {
        /// The awaited marker line arrived.
        case marker
        /// The client's output ended (it exited).
        case ended
        /// A release was asked (command, EOF on the command pipe) or a signal came.
        case stopped
        case timedOut
    }

    /// Reads the client's lines until `marker` (nil: none awaited) while watching signals and (unless a release is
    /// already under way) the command pipe.
    private func waitFor(_ marker: String?, until limit: UInt64, watchingCommands: Bool = true) -> WaitEnd {
        while true {
            let now = MonotonicClock.now()
            guard now < limit else { return .timedOut }
            var fds = [
                pollfd(fd: clientOutput?.rawValue ?? -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: watchingCommands ? commands.rawValue : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake.read.rawValue, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 3, Int32(clamping: (limit - now + 999_999) / 1_000_000))
            guard ready > 0 else { continue }
            if fds[0].revents != 0 {
                guard let chunk = try? clientOutput?.read(upToCount: 4096), !chunk.isEmpty else { return .ended }
                pending += chunk
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    if line == marker { return .marker }
                    lastLines = Array((lastLines + [line]).suffix(3))
                }
            }
            let signalled =
                fds[2].revents != 0
                && drain(wake.read).contains { GuardSignals.stopSignal($0, parentPID: request.parentPID) != nil }
            if signalled || fds[1].revents != 0 { return .stopped }
        }
    }

    /// The client's last output lines, redacted (and without the password, should a client echo it).
    private var clientError: String {
        var text = lastLines.filter { !$0.isEmpty }.joined(separator: " | ")
        if let password, !password.isEmpty {
            text = text.replacingOccurrences(of: password, with: Redactor.placeholder)
        }
        return text.isEmpty ? "the client printed nothing" : TerminalText.sanitize(text)
    }

    /// Ends a quiesce that is not confirmed or no longer wanted: a state the session does not own (Oracle's BEGIN
    /// BACKUP) is ended first, within 5 s; then the session is closed.
    private func abandon(_ session: QuiesceSession) {
        if !session.endsWithTheSession {
            send(session.release)
            _ = waitFor(
                QuiesceSession.unlockedMarker, until: MonotonicClock.now() + 5_000_000_000, watchingCommands: false)
        }
        closeSession()
    }

    private func startClient(_ session: QuiesceSession) {
        do {
            try spawnClient(session)
        } catch {
            fail(506, "\(error)")
        }
    }

    /// Runs the client with its stdin and stdout on fresh pipes only this process holds.
    private func spawnClient(_ session: QuiesceSession) throws {
        for (name, value) in session.environment { setenv(name, value, 1) }
        let (input, output) = try PipeDescriptors.pair()
        defer {
            input.read.close()
            output.write.close()
        }
        do {
            client = try ChildProcess.spawn(
                executable: session.executable, arguments: session.arguments, standardInput: input.read,
                standardOutput: output.write, standardError: output.write)
        } catch {
            input.write.close()
            output.read.close()
            throw error
        }
        pending = []
        lastLines = []
        clientInput = input.write
        clientOutput = output.read
    }

    /// START REPLICA in a session of its own (the quiesce's session may have ended with an error), bounded by the
    /// connect timeout plus 5 s; removes the marker once confirmed. Returns why it failed (the marker then stays, so
    /// the next job retries).
    private func restartReplication(_ session: QuiesceSession) -> String? {
        guard let restart = session.replicationRestart else { return "\(session.engine.rawValue) has no replication" }
        closeSession()
        do {
            try spawnClient(session)
        } catch {
            return "cannot start the client: \(error)"
        }
        send(restart)
        let limit = MonotonicClock.now() + request.connectTimeout.wholeNanoseconds + 5_000_000_000
        let outcome = waitFor(QuiesceSession.replicatingMarker, until: limit, watchingCommands: false)
        closeSession()
        guard outcome == .marker else { return "START REPLICA was not confirmed: \(clientError)" }
        try? FileManager.default.removeItem(atPath: request.replicationMarkerPath)
        return nil
    }

    private func send(_ text: String) {
        try? clientInput?.writeAll(text.utf8)
    }

    /// Closes the client's stdin (it exits and the server ends the session); kills it if it has not exited within
    /// a second (a statement still running), and reaps it.
    private func closeSession() {
        clientInput?.close()
        clientInput = nil
        guard let client else { return }
        self.client = nil
        let limit = MonotonicClock.now() + 1_000_000_000
        var status: Int32 = 0
        while waitpid(client.pid, &status, WNOHANG) == 0 {
            guard MonotonicClock.now() < limit else {
                kill(client.pid, SIGKILL)
                client.waitForExit()
                return
            }
            usleep(2_000)
        }
    }

    private func drain(_ descriptor: FileDescriptor) -> [UInt8] {
        (try? descriptor.read(upToCount: 64)) ?? []
    }

    private func report(_ line: DatabaseGuardMessage) {
        guard let data = try? JSONEncoder().encode(line) else { return }
        try? reports.writeAll(data + [UInt8(ascii: "\n")])
    }

    private func fail(_ code: Int, _ text: String) -> Never {
        message.failureCode = code
        message.failureMessage = Redactor.redact(text)
        finish()
    }

    /// Restarts replication this guard stopped (on every path), then reports and exits.
    private func finish() -> Never {
        if replicationStopped, let session {
            replicationStopped = false
            if let problem = restartReplication(session) {
                message.failureCode = message.failureCode ?? 504
                message.failureMessage = Redactor.redact(
                    (message.failureMessage.map { $0 + "; " } ?? "")
                        + "replication was not restarted: \(problem) (the next job retries)")
            }
        }
        report(message)
        exit(message.failureCode == nil ? 0 : 1)
    }
}
