#if canImport(Glibc)
    import Glibc
#endif

/// What a short command printed on each stream and how it ended, both streams read together.
public struct CommandOutput: Sendable {
    /// The wait status (see `WaitStatus`).
    public var status: Int32
    public var standardOutput: String
    public var standardError: String

    /// The exit code when the command exited normally.
    public var exitCode: Int32? { WaitStatus.exitCode(status) }

    /// Runs `executable` (a path) to completion with standard input from /dev/null.
    ///
    /// Both pipes are drained as data arrives (poll(2)), so a child that fills one of them while the other is
    /// quiet cannot stall.
    public static func run(_ executable: String, _ arguments: [String]) throws(SpawnError) -> CommandOutput {
        let (output, errors) = try PipeDescriptors.pair()
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                executable: executable, arguments: arguments, standardOutput: output.write,
                standardError: errors.write)
        } catch {
            output.closeBoth()
            errors.closeBoth()
            throw error
        }
        output.write.close()
        errors.write.close()
        defer {
            output.read.close()
            errors.read.close()
        }
        let streams = [output.read, errors.read]
        var collected: [[UInt8]] = [[], []]
        var fds = streams.map { pollfd(fd: $0.rawValue, events: Int16(POLLIN), revents: 0) }
        while fds.contains(where: { $0.fd >= 0 }) {
            guard (try? retryingOnInterrupt("poll", { poll(&fds, nfds_t(fds.count), -1) })) != nil else { break }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let chunk = (try? streams[index].read(upToCount: 16 * 1024)) ?? []
                if chunk.isEmpty {
                    fds[index].fd = -1
                } else {
                    collected[index] += chunk
                }
            }
        }
        return CommandOutput(
            status: child.waitForExit(), standardOutput: String(decoding: collected[0], as: UTF8.self),
            standardError: String(decoding: collected[1], as: UTF8.self))
    }
}
