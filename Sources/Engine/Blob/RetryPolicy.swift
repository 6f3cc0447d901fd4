import Basics
import Foundation

/// When and how long to wait before repeating a storage request: exponential backoff with jitter on 408, 500,
/// 502, 503, 504 and on network errors and timeouts, `Retry-After` honoured, never on other statuses; every
/// attempt and every wait bounded by a deadline.
public struct RetryPolicy: Sendable {
    /// Wait before the second attempt (before jitter).
    public var initialBackoff: Duration
    /// Upper bound of one wait (also for `Retry-After`).
    public var maximumBackoff: Duration
    /// Upper bound of one attempt (the deadline may cut it shorter).
    public var attemptTimeout: Duration
    /// Attempts in all, the first included.
    public var maximumAttempts: Int

    public init(
        initialBackoff: Duration = .milliseconds(200), maximumBackoff: Duration = .seconds(5),
        attemptTimeout: Duration = .seconds(30), maximumAttempts: Int = 10
    ) {
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.attemptTimeout = attemptTimeout
        self.maximumAttempts = maximumAttempts
    }

    /// Whether an HTTP status is worth another attempt.
    public static func isRetryable(status: Int) -> Bool { [408, 500, 502, 503, 504].contains(status) }

    /// Whether a failure without an answer is worth another attempt.
    public static func isRetryable(_ error: BlobTransportError) -> Bool {
        error.kind == .network || error.kind == .timeout
    }

    /// The wait after attempt `attempt` (1-based): `Retry-After` when the answer has one, else
    /// `initialBackoff * 2^(attempt-1)` scaled by a random factor in [0.5, 1], capped at `maximumBackoff`.
    public func delay(afterAttempt attempt: Int, response: BlobResponse?) -> Duration {
        if let retryAfter = response?.header("retry-after").flatMap(Self.retryAfter) {
            return min(retryAfter, maximumBackoff)
        }
        let exponential = initialBackoff * (1 << min(attempt - 1, 20))
        return min(exponential, maximumBackoff) * Double.random(in: 0.5...1.0)
    }

    /// `Retry-After` as delay-seconds or an HTTP date.
    static func retryAfter(_ value: String) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        // A server's number can be anything ("1e300", "inf"): clamp before converting, a day is more than any wait.
        if let seconds = Double(trimmed), seconds >= 0, !seconds.isNaN {
            return .milliseconds(Int(min(seconds, Self.longestRetryAfter) * 1000))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return .milliseconds(Int(min(max(0, date.timeIntervalSinceNow), Self.longestRetryAfter) * 1000))
    }

    /// The longest `Retry-After` taken literally, in seconds (waits are capped by `maximumBackoff` anyway).
    static let longestRetryAfter: Double = 86_400

    /// What happened to one attempt of a retried request, for progress reporting.
    public enum Attempt: Sendable {
        /// Attempt number `n` is about to be sent.
        case sending(Int)
        /// The attempt got an answer (any status).
        case answered(BlobResponse)
        /// The attempt got no answer.
        case failed(BlobTransportError)
        /// Waiting this long before the next attempt.
        case waiting(Duration)
    }

    /// The end of a retried request.
    public struct Outcome: Sendable {
        /// The last answer, if any attempt got one.
        public var response: BlobResponse?
        /// The last failure without an answer, when the last attempt got none.
        public var transportError: BlobTransportError?
        public var attempts: Int
        /// Why it stopped without success, nil when the last answer was a 2xx.
        public var stopReason: String?

        public var succeeded: Bool { response?.isSuccess == true && transportError == nil }
    }

    /// Runs `request` (given each attempt's timeout) until it succeeds, fails for good, runs out of attempts, or
    /// the deadline comes; a wait that would end past the deadline is not started.
    public func run(
        until deadline: ContinuousClock.Instant, observe: (Attempt) -> Void = { _ in },
        _ request: (Duration) async throws(BlobTransportError) -> BlobResponse
    ) async -> Outcome {
        var outcome = Outcome(response: nil, transportError: nil, attempts: 0, stopReason: nil)
        while true {
            let remaining = deadline - .now
            guard remaining > .milliseconds(1) else {
                outcome.stopReason = "deadline passed after \(outcome.attempts) attempt(s)"
                return outcome
            }
            outcome.attempts += 1
            observe(.sending(outcome.attempts))
            let retryable: Bool
            do throws(BlobTransportError) {
                let response = try await request(min(attemptTimeout, remaining))
                outcome.response = response
                outcome.transportError = nil
                observe(.answered(response))
                if response.isSuccess { return outcome }
                retryable = Self.isRetryable(status: response.status)
                if !retryable { outcome.stopReason = "not retryable" }
            } catch {
                outcome.transportError = error
                observe(.failed(error))
                retryable = Self.isRetryable(error)
                // The error's own message is the transport error's: not repeated here.
                if !retryable { outcome.stopReason = "not retryable" }
            }
            guard retryable else { return outcome }
            guard outcome.attempts < maximumAttempts else {
                outcome.stopReason = "gave up after \(outcome.attempts) attempts"
                return outcome
            }
            if Task.isCancelled {
                outcome.stopReason = "cancelled after \(outcome.attempts) attempt(s)"
                return outcome
            }
            let wait = delay(afterAttempt: outcome.attempts, response: outcome.response)
            guard ContinuousClock.now + wait < deadline else {
                outcome.stopReason = "deadline would pass before the next attempt (\(outcome.attempts) attempt(s))"
                return outcome
            }
            observe(.waiting(wait))
            do {
                try await Task.sleep(for: wait)
            } catch {
                outcome.stopReason = "cancelled after \(outcome.attempts) attempt(s)"
                return outcome
            }
        }
    }
}
