import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One JSON line the freeze guard writes on its report pipe.
public struct FreezeGuardMessage: Codable, Sendable, Equatable {
    /// `waitingForLock`: another process holds the freeze lock and the guard waits for it; `ready`: a prepared guard
    /// holds the lock and has every mount open and flushed, and waits for `freeze`; `frozen`: every mount is frozen;
    /// `finished`: everything is thawed (or nothing was frozen) and the guard exits.
    public enum Kind: String, Codable, Sendable {
        case waitingForLock, ready, frozen, finished
    }

    public var kind: Kind
    /// On `finished` when freezing failed: 121 (freeze failed), 122 (timeout) or 123 (unable to open a mount).
    public var failureCode: Int?
    public var failureMessage: String?
    /// Mounts thawed, in the order FITHAW was called.
    public var thawOrder: [String]
    /// Mount -> why it could not be thawed (or why its thaw is still pending).
    public var thawFailures: [String: String]
    /// CLOCK_MONOTONIC nanoseconds from the first FIFREEZE to the last FITHAW.
    public var windowNanoseconds: UInt64
    /// The part of the window spent in FIFREEZE calls: from the first call to the last one's return.
    public var freezingNanoseconds: UInt64
    /// The part of the window spent thawing: from the thaw decision to the last FITHAW's return.
    public var thawingNanoseconds: UInt64
    /// Whether the guard thawed because its deadline passed before anyone asked.
    public var thawedByDeadline: Bool
    /// What the guard did with the `rcu_expedited` knob (nil: not reported, e.g. an emergency thaw by the job).
    public var gracePeriods: GracePeriodExpediting?
    /// On `waitingForLock`: the process holding the freeze lock, when the kernel names it.
    public var lockHolderPID: Int32?
    /// How long the guard waited for the freeze lock before arming its deadline (on `frozen` and `finished`).
    public var lockWaitNanoseconds: UInt64 = 0

    public init(
        kind: Kind, failureCode: Int? = nil, failureMessage: String? = nil, thawOrder: [String] = [],
        thawFailures: [String: String] = [:], windowNanoseconds: UInt64 = 0, freezingNanoseconds: UInt64 = 0,
        thawingNanoseconds: UInt64 = 0, thawedByDeadline: Bool = false, gracePeriods: GracePeriodExpediting? = nil
    ) {
        self.kind = kind
        self.failureCode = failureCode
        self.failureMessage = failureMessage
        self.thawOrder = thawOrder
        self.thawFailures = thawFailures
        self.windowNanoseconds = windowNanoseconds
        self.freezingNanoseconds = freezingNanoseconds
        self.thawingNanoseconds = thawingNanoseconds
        self.thawedByDeadline = thawedByDeadline
        self.gracePeriods = gracePeriods
    }

    /// The report as the engine's seam type.
    public var thawReport: ThawReport {
        ThawReport(
            failures: thawFailures, freezeWindow: .nanoseconds(Int64(clamping: windowNanoseconds)),
            thawedByDeadline: thawedByDeadline, freezeNote: gracePeriods?.summary)
    }
}

/// CLOCK_MONOTONIC readings (the freeze window is measured on it).
enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point.
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

extension Duration {
    /// The duration in whole nanoseconds (negative durations count as zero).
    var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
