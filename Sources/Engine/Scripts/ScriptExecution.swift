import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one configured script: ownership and mode checks, attempts until success or the retries or the time
/// run out (one timeout shared by all attempts), its whole process group killed at the timeout, output kept.
struct ScriptExecution: Sendable {
    /// How much of the script's combined stdout and stderr is kept (the tail).
    static let outputLimit = 64 * 1024

    let spec: ScriptSpec
    let phase: ScriptPhase
    let timeout: Duration
    let continueBackupOnFailure: Bool

    private enum AttemptResult {
        case exited(Int32)
        case killedBySignal(Int32)
        case timedOut
        case cancelled
        case notStarted(SpawnError)
    }

    /// Runs on a thread of its own (the waits block), resuming the caller at the end. Cancelling the calling task
    /// kills the script's whole process group at once and ends the phase with its timeout code.
    func run() async -> ScriptOutcome {
        let cancellation: CancellationPipe
        do {
            cancellation = try CancellationPipe()
        } catch {
            return outcome(phase.failedCode, ran: false, "\(phase.rawValue)-script \(spec.location): \(error)")
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                Thread {
                    let result = runBlocking(cancellation: cancellation)
                    cancellation.close()
                    continuation.resume(returning: result)
                }.start()
            }
        } onCancel: {
            cancellation.signal()
        }
    }

    private func runBlocking(cancellation: CancellationPipe) -> ScriptOutcome {
        let name = "\(phase.rawValue)-script \(spec.location)"
        var info = stat()
        guard stat(spec.location, &info) == 0 else {
            return outcome(phase.notFoundCode, ran: false, "\(name) not found: \(SystemError.text(errno))")
        }
        guard info.st_uid == 0, info.st_mode & 0o077 == 0, info.st_mode & S_IFMT == S_IFREG else {
            return outcome(
                phase.permissionCode, ran: false,
                "\(name) must be a regular file owned by root with no group or other permissions"
                    + " (uid \(info.st_uid), mode \(String(info.st_mode & 0o777, radix: 8)))")
        }
        let deadline = MonotonicClock.now() + timeout.wholeNanoseconds
        var output = OutputTail(limit: Self.outputLimit)
        var attempts = 0
        while true {
            attempts += 1
            let attemptText = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
            switch attempt(deadline: deadline, cancellation: cancellation, output: &output) {
            case .exited(0):
                return outcome(0, ran: true, "\(name) succeeded after \(attemptText)", output: output)
            case .notStarted(let error):
                let code = error.errorNumber == ENOENT ? phase.notFoundCode : phase.permissionCode
                return outcome(code, ran: false, "\(name): \(error)", output: output)
            case .cancelled:
                return outcome(
                    phase.timeoutCode, ran: true,
                    "\(name) was stopped: the job was cancelled (\(attemptText)); its process group was killed",
                    output: output)
            case .timedOut:
                return outcome(
                    phase.timeoutCode, ran: true,
                    "\(name) did not finish within \(timeout) (\(attemptText)); its process group was killed",
                    output: output)
            case .exited(let status) where attempts > spec.retries || MonotonicClock.now() >= deadline:
                return outcome(
                    phase.failedCode, ran: true, "\(name) exited \(status) after \(attemptText)", output: output)
            case .killedBySignal(let signal) where attempts > spec.retries || MonotonicClock.now() >= deadline:
                return outcome(
                    phase.failedCode, ran: true, "\(name) was killed by signal \(signal) after \(attemptText)",
                    output: output)
            case .exited, .killedBySignal:
                continue
            }
        }
    }

    /// One run of the script in a new process group, its stdout and stderr on one pipe.
    private func attempt(deadline: UInt64, cancellation: CancellationPipe, output: inout OutputTail) -> AttemptResult {
        if cancellation.isSignalled { return .cancelled }
        let outputPipe: PipeDescriptors
        let exitPipe: PipeDescriptors
        do {
            (outputPipe, exitPipe) = try PipeDescriptors.pair()
        } catch {
            return .notStarted(error)
        }
        defer {
            outputPipe.read.close()
            exitPipe.read.close()
        }
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(
                executable: spec.location, arguments: spec.parameters, standardOutput: outputPipe.write,
                standardError: outputPipe.write, newProcessGroup: true)
        } catch {
            outputPipe.write.close()
            exitPipe.write.close()
            return .notStarted(error)
        }
        outputPipe.write.close()
        Thread {
            let status = process.waitForExit()
            exitPipe.write.closeAfter { try? exitPipe.write.writeAll(withUnsafeBytes(of: status) { Array($0) }) }
        }.start()
        var outputOpen = true
        while true {
            let now = MonotonicClock.now()
            guard now < deadline else {
                kill(-process.pid, SIGKILL)
                _ = readStatus(exitPipe.read)
                output.drain(outputPipe.read)
                return .timedOut
            }
            var fds = [
                pollfd(fd: exitPipe.read.rawValue, events: Int16(POLLIN), revents: 0),
                pollfd(fd: outputOpen ? outputPipe.read.rawValue : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: cancellation.readDescriptor.rawValue, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&fds, 3, Int32(clamping: (deadline - now + 999_999) / 1_000_000)) > 0 else { continue }
            if fds[2].revents != 0 {
                kill(-process.pid, SIGKILL)
                _ = readStatus(exitPipe.read)
                output.drain(outputPipe.read)
                return .cancelled
            }
            if fds[1].revents != 0 { outputOpen = output.readOnce(outputPipe.read) }
            if fds[0].revents != 0 {
                let status = readStatus(exitPipe.read)
                output.drain(outputPipe.read)
                if let signal = WaitStatus.signal(status) { return .killedBySignal(signal) }
                return .exited(WaitStatus.exitCode(status) ?? status)
            }
        }
    }

    /// The wait status the waiting thread wrote (0 when it wrote none).
    private func readStatus(_ descriptor: FileDescriptor) -> Int32 {
        var status: Int32 = 0
        _ = withUnsafeMutableBytes(of: &status) { try? descriptor.read(into: $0) }
        return status
    }

    private func outcome(_ code: Int, ran: Bool, _ message: String, output: OutputTail? = nil) -> ScriptOutcome {
        ScriptOutcome(
            code: ResultCode(code), ran: ran, continueBackup: code == 0 || continueBackupOnFailure, message: message,
            output: output?.text ?? "")
    }
}

/// The last `limit` bytes a script wrote.
struct OutputTail {
    let limit: Int
    private var bytes: [UInt8] = []
    private var dropped = 0

    init(limit: Int) { self.limit = limit }

    /// The kept output as text, noting how much was cut.
    var text: String {
        let kept = String(decoding: bytes, as: UTF8.self)
        return dropped == 0 ? kept : "[\(dropped) earlier bytes not kept]\n" + kept
    }

    /// Reads what is available; false at EOF (or when the pipe cannot be read).
    mutating func readOnce(_ descriptor: FileDescriptor) -> Bool {
        do {
            let chunk = try descriptor.read(upToCount: Self.chunkSize)
            append(chunk)
            return !chunk.isEmpty
        } catch {
            return error.number == EAGAIN
        }
    }

    /// Reads what is left without waiting for writers that outlive the script (background children).
    mutating func drain(_ descriptor: FileDescriptor) {
        descriptor.setNonBlocking()
        while let chunk = try? descriptor.read(upToCount: Self.chunkSize), !chunk.isEmpty { append(chunk) }
    }

    private static let chunkSize = 16 * 1024

    private mutating func append(_ chunk: [UInt8]) {
        bytes.append(contentsOf: chunk)
        if bytes.count > limit {
            let excess = bytes.count - limit
            bytes.removeFirst(excess)
            dropped += excess
        }
    }
}
