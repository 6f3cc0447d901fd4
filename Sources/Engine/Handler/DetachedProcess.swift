import Basics
import Foundation

/// Starts a process that outlives its caller and the caller's process group: a new session (so the agent's
/// SIGKILL of enable's process group does not reach it), standard streams on /dev/null, no inherited descriptors,
/// the caller's working directory and environment.
public enum DetachedProcess {
    /// Starts `executable` with `arguments`; returns its pid. The caller does not wait for it: when the caller
    /// exits, init (or the nearest subreaper) reaps it.
    @discardableResult
    public static func start(executable: String, arguments: [String]) throws(SpawnError) -> pid_t {
        try ChildProcess.spawn(executable: executable, arguments: arguments, newSession: true).pid
    }
}
