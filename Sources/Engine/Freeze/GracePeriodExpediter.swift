import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the thaw guard did with the kernel's expedited-RCU knob around its FIFREEZE calls.
public struct GracePeriodExpediting: Codable, Sendable, Equatable {
    /// What became of the knob.
    public enum Outcome: String, Codable, Sendable {
        /// Turned off by the caller: the knob was never touched.
        case disabled
        /// The guard ended before its first FIFREEZE: the knob was never touched.
        case notReached
        /// The knob was 0: set to 1 for the FIFREEZE calls only, then put back.
        case expedited
        /// The knob was already non-zero: left alone (grace periods were expedited anyway).
        case alreadyExpedited
        /// The knob is missing, unreadable or unwritable: frozen with normal grace periods.
        case unavailable
        /// The guard died without reporting and left the knob changed; the job put back 0.
        case restoredByJob
    }

    public var outcome: Outcome
    /// Why the knob was unavailable, or why putting back its previous value failed.
    public var problem: String?
    /// How long the knob was held at 1 (0 unless `expedited`).
    public var heldNanoseconds: UInt64

    public init(outcome: Outcome, problem: String? = nil, heldNanoseconds: UInt64 = 0) {
        self.outcome = outcome
        self.problem = problem
        self.heldNanoseconds = heldNanoseconds
    }

    /// Whether the FIFREEZE calls ran with expedited RCU grace periods.
    public var expedited: Bool { [.expedited, .alreadyExpedited, .restoredByJob].contains(outcome) }

    /// One line for the job's log; nil when the guard never got to FIFREEZE.
    public var summary: String? {
        let text: String
        switch outcome {
        case .notReached: return nil
        case .disabled: text = "RCU grace periods not expedited (turned off)"
        case .alreadyExpedited: text = "RCU grace periods expedited (rcu_expedited was already set)"
        case .unavailable: text = "RCU grace periods not expedited: \(problem ?? "knob unavailable")"
        case .restoredByJob: text = "RCU grace periods expedited"
        case .expedited:
            let held = String(format: "%.1f", Double(heldNanoseconds) / 1e6)
            text = "RCU grace periods expedited during FIFREEZE (rcu_expedited at 1 for \(held) ms)"
        }
        guard outcome != .unavailable, let problem else { return text }  // unavailable: already in `text`
        return text + "; " + problem
    }
}

/// Holds the kernel's `rcu_expedited` knob at 1 around the FIFREEZE calls and puts back its previous value.
///
/// FIFREEZE (freeze_super) takes three percpu rw-semaphores, each waiting for an RCU grace period: tens of
/// milliseconds with normal grace periods, about one with expedited ones. The knob is global, so it is only
/// changed when it is 0, only for the FIFREEZE calls, and a knob that cannot be used never fails the freeze.
/// Not thread-safe: the guard calls it under its lock.
final class GracePeriodExpediter {
    /// The kernel's knob.
    static let defaultKnobPath = "/sys/kernel/rcu_expedited"

    private let knobPath: String?
    private var previousValue: String?
    private var engagedAt: UInt64 = 0
    private(set) var state: GracePeriodExpediting

    /// `knobPath` nil: expediting is turned off and nothing is ever written.
    init(knobPath: String?) {
        self.knobPath = knobPath
        state = GracePeriodExpediting(outcome: knobPath == nil ? .disabled : .notReached)
    }

    /// Sets the knob to 1 if it is 0 (once; call just before the first FIFREEZE).
    func engage() {
        guard let knobPath, state.outcome == .notReached else { return }
        let current: String
        do {
            current = try Self.read(knobPath)
        } catch {
            state = GracePeriodExpediting(outcome: .unavailable, problem: error.description)
            return
        }
        guard Int(current) == 0 else {
            if Int(current) == nil {
                state = GracePeriodExpediting(
                    outcome: .unavailable, problem: "\(knobPath) holds '\(current)', expected an integer")
            } else {
                state = GracePeriodExpediting(outcome: .alreadyExpedited)
            }
            return
        }
        if let problem = Self.write("1", to: knobPath) {
            state = GracePeriodExpediting(outcome: .unavailable, problem: problem)
            return
        }
        previousValue = current
        engagedAt = MonotonicClock.now()
        state = GracePeriodExpediting(outcome: .expedited)
    }

    /// Puts back the value `engage` replaced, if it has not been put back yet (call on every path that ends).
    func restore() {
        guard let knobPath, let previousValue else { return }
        self.previousValue = nil
        state.problem = Self.write(previousValue, to: knobPath).map { "cannot restore the previous value: \($0)" }
        state.heldNanoseconds = MonotonicClock.now() - engagedAt
    }

    /// The job's side, before starting a guard: whether the knob at `path` holds 0 (only then does a guard write it).
    static func holdsZero(_ path: String) -> Bool {
        (try? read(path)).flatMap { Int($0) } == 0
    }

    /// The job's side, after its guard died without reporting: writes 0 back to a knob that held 0 before the guard
    /// started and holds something else now; returns what it did (nil: nothing to put back).
    static func recover(_ path: String) -> GracePeriodExpediting? {
        guard let value = try? read(path), Int(value) != 0 else { return nil }
        let problem =
            write("0", to: path).map { "the guard died holding \(path) at \(value) and \($0)" }
            ?? "the guard died holding \(path) at \(value); the job put back 0"
        return GracePeriodExpediting(outcome: .restoredByJob, problem: problem)
    }

    /// Why the knob could not be read.
    private struct KnobError: Error {
        var description: String
    }

    private static func read(_ path: String) throws(KnobError) -> String {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(path, O_RDONLY)
        } catch {
            throw KnobError(description: "cannot open \(path): \(SystemError.text(error.number))")
        }
        do {
            let bytes = try descriptor.closeAfter { () throws(SystemError) in try descriptor.read(upToCount: 32) }
            return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw KnobError(description: "cannot read \(path): \(SystemError.text(error.number))")
        }
    }

    /// Writes `value` and a newline to `path`; returns why that failed.
    private static func write(_ value: String, to path: String) -> String? {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(path, O_WRONLY | O_TRUNC)
        } catch {
            return "cannot open \(path) for writing: \(SystemError.text(error.number))"
        }
        do {
            try descriptor.closeAfter { () throws(SystemError) in try descriptor.writeAll((value + "\n").utf8) }
            return nil
        } catch {
            return "cannot write \(value) to \(path): \(SystemError.text(error.number))"
        }
    }
}
