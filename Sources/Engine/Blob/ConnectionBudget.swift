import Foundation

/// How many connections a blob client may hold, well inside the process's descriptor limit: running out of
/// descriptors is not only a failed request, it kills the process (libdispatch's thread-pool monitor traps when it
/// cannot open `/proc`), so a job of thousands of disks must queue its requests instead.
public struct ConnectionBudget: Sendable, Equatable {
    /// Connections open at once, in total.
    public var total: Int
    /// Connections open at once to one host.
    public var perHost: Int

    public init(total: Int, perHost: Int) {
        self.total = max(1, total)
        self.perHost = max(1, min(perHost, self.total))
    }

    /// A quarter of the soft descriptor limit, at most 256 in total and 64 per host, at least 4 (the agent's usual
    /// `ulimit -n 1024` gives 256 and 64).
    public static func fromDescriptorLimit() -> ConnectionBudget {
        var limit = rlimit()
        let soft = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? limit.rlim_cur : 1024
        return forDescriptorLimit(Int(clamping: soft))
    }

    /// The budget under a soft limit of `descriptors`.
    public static func forDescriptorLimit(_ descriptors: Int) -> ConnectionBudget {
        let total = min(256, max(4, descriptors / 4))
        return ConnectionBudget(total: total, perHost: min(64, total))
    }
}
