import Synchronization

/// Decides which fault, if any, a request meets; counts `failFirst` rules.
final class FaultInjector: Sendable {
    private struct State {
        var rules: [FaultRule]
        /// Per rule index: how many requests a `failFirst` rule has failed so far.
        var failures: [Int]
        /// The answers held by a `hold` rule, carried out when the rules are next replaced.
        var held: [@Sendable () -> Void] = []
    }

    /// What to do with one request: an added delay, then maybe a fault instead of the answer.
    struct Decision: Equatable {
        var delayMilliseconds = 0
        var fault: FaultAction?
        /// A `hold` rule matched: the answer waits until the rules are replaced.
        var held = false

        /// Text for the journal, nil when nothing was injected.
        var summary: String? {
            let parts =
                (delayMilliseconds > 0 ? ["latency(ms: \(delayMilliseconds))"] : []) + (held ? ["hold"] : [])
                + (fault.map { ["\($0)"] } ?? [])
            return parts.isEmpty ? nil : parts.joined(separator: ", ")
        }
    }

    private let state: Mutex<State>

    init(rules: [FaultRule]) {
        state = Mutex(State(rules: rules, failures: Array(repeating: 0, count: rules.count)))
    }

    /// Replaces the rules and resets the `failFirst` counters; the answers held until now go out.
    func replace(_ rules: [FaultRule]) {
        let held = state.withLock { state in
            defer { state = State(rules: rules, failures: Array(repeating: 0, count: rules.count)) }
            return state.held
        }
        held.forEach { $0() }
    }

    /// Keeps `answer` until the rules are next replaced.
    func hold(_ answer: @escaping @Sendable () -> Void) {
        state.withLock { $0.held.append(answer) }
    }

    var rules: [FaultRule] { state.withLock { $0.rules } }

    /// The error a `dosnapshot` rule naming this disk's blob injects into its entry, if any.
    func diskFault(account: String, container: String, blob: String) -> (status: Int, code: String)? {
        for rule in rules
        where rule.operation == .dosnapshot && rule.blob != nil
            && rule.matches(account: account, container: container, blob: blob, operation: .dosnapshot)
        {
            if case .error(let status, let code) = rule.action { return (status, code) }
        }
        return nil
    }

    /// Latency rules add up; the first matching error / failFirst (not yet exhausted) / reset / never rule wins.
    func decide(account: String, container: String?, blob: String?, operation: BlobOperation?) -> Decision {
        state.withLock { state in
            var decision = Decision()
            guard !state.rules.isEmpty else { return decision }
            for (index, rule) in state.rules.enumerated()
            where rule.matches(account: account, container: container, blob: blob, operation: operation) {
                switch rule.action {
                case .latency(let ms):
                    // Rules made in code are not validated: the sum saturates instead of overflowing.
                    let (sum, overflow) = decision.delayMilliseconds.addingReportingOverflow(max(0, ms))
                    decision.delayMilliseconds = overflow ? .max : sum
                case .hold:
                    decision.held = true
                case .failFirst(let count, _, _):
                    guard decision.fault == nil, state.failures[index] < count else { continue }
                    state.failures[index] += 1
                    decision.fault = rule.action
                default:
                    if decision.fault == nil { decision.fault = rule.action }
                }
            }
            return decision
        }
    }
}
