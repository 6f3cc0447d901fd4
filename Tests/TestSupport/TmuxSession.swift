import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A program running in a real pseudo-terminal: a detached tmux session on its own socket, driven by send-keys
/// and read by capture-pane. Always `kill()` it (the socket name is unique per session).
public final class TmuxSession: @unchecked Sendable {
    public let socket: String
    public let name = "main"

    /// Starts `command` (run by /bin/sh) in a `width` x `height` terminal.
    public init(command: String, width: Int, height: Int, environment: [String: String] = [:]) throws {
        socket = "vmsnap-e2e-\(UUID().uuidString.prefix(8))"
        let exports = environment.map { "export \($0.key)='\($0.value)'; " }.joined()
        try tmux(["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height), exports + command])
        try? tmux(["set-option", "-t", name, "status", "off"])
    }

    deinit { kill() }

    /// The screen's text, one string per row.
    public func capture() -> [String] {
        let output = try? run(["capture-pane", "-p", "-t", name])
        return output?.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) ?? []
    }

    /// Sends keys (tmux key names such as `Escape`, `Enter`, `Down`, or literal text).
    public func send(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys) }

    /// Resizes the terminal.
    public func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", name, "-x", String(width), "-y", String(height)])
    }

    /// Waits until the screen satisfies `condition`; returns the last screen either way.
    @discardableResult
    public func wait(
        timeout: TimeInterval = 15, until condition: ([String]) -> Bool
    ) -> (met: Bool, screen: [String]) {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = capture()
        while !condition(screen) {
            if Date() > deadline { return (false, screen) }
            Thread.sleep(forTimeInterval: 0.1)
            screen = capture()
        }
        return (true, screen)
    }

    /// Waits until the screen contains `text`.
    @discardableResult
    public func wait(for text: String, timeout: TimeInterval = 15) -> (met: Bool, screen: [String]) {
        wait(timeout: timeout) { $0.joined(separator: "\n").contains(text) }
    }

    /// Ends the session and its server.
    public func kill() { try? tmux(["kill-server"]) }

    private func tmux(_ arguments: [String]) throws { _ = try run(arguments) }

    /// Runs a tmux client with posix_spawn and waitpid, its output in a temporary file: the tmux server forks
    /// from the first client and keeps every descriptor it inherited, so pipes (and Foundation's `Process`
    /// exit detection) would wait for the server, not the client.
    private func run(_ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString)").path
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = (["/usr/bin/tmux", "-L", socket] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Default dispositions and an empty mask: the test runner's blocked or ignored signals (SIGHUP) would
        // otherwise pass to the server and its panes, which then survive kill-server.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        var all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/usr/bin/tmux", &actions, &attributes, argv, environ) == 0 else {
            throw TmuxError(message: "cannot start tmux")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw TmuxError(message: "tmux \(arguments.first ?? "") failed with status \(status)")
        }
        return text
    }
}

/// A tmux command failed.
public struct TmuxError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
