import Foundation
import Synchronization

/// How often and how long to wait between tries of a request: exponential backoff with full
/// jitter (a random wait up to the exponential bound), so that many clients retrying do not
/// retry in step. Shared by the S3 and Blossom clients; each picks its own numbers.
public struct RetryPolicy: Sendable {
    /// Tries in all, the first included.
    public var attempts: Int
    /// The bound of the first wait, in seconds; it doubles after each try.
    public var baseDelay: Double
    /// The largest bound, in seconds.
    public var maxDelay: Double

    public init(attempts: Int = 10, baseDelay: Double = 0.05, maxDelay: Double = 5) {
        (self.attempts, self.baseDelay, self.maxDelay) = (attempts, baseDelay, maxDelay)
    }

    /// The wait after try number `attempt` (1 for the first), in nanoseconds.
    public func delay(afterAttempt attempt: Int) -> UInt64 {
        let bound = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return UInt64(Double.random(in: 0...bound) * 1e9)
    }
}

/// Requests sent, by method, and retries: for `--json` reports and for tests that count
/// requests. Safe to add to from concurrent requests.
public final class RequestCounts: Sendable {
    public struct Snapshot: Sendable {
        public var byMethod: [String: Int] = [:]
        public var retries = 0
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public func add(_ method: String) { state.withLock { $0.byMethod[method, default: 0] += 1 } }
    public func addRetry() { state.withLock { $0.retries += 1 } }

    public var snapshot: Snapshot { state.withLock { $0 } }
}
