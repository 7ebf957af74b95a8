/// Exponential backoff: the one definition, for the Processor's record retries, the S3 client's
/// request retries and the uploader's segment retries. After `n` failed attempts the ceiling is
/// `min(maxDelay, baseDelay · 2^(n-1))`; the delay is drawn below it by the jitter rule. Pure; the
/// random source is a parameter so tests can pin it.
public struct Backoff: Sendable, Equatable {
    public enum Jitter: Sendable, Equatable {
        /// Uniform in `0...ceiling` (spreads retries most; the Processor and S3 requests).
        case full
        /// Half the ceiling fixed, half uniform (never retries at once; the uploader's segments).
        case equal
    }

    public var baseDelay: Duration
    public var maxDelay: Duration
    public var jitter: Jitter

    public init(baseDelay: Duration, maxDelay: Duration, jitter: Jitter = .full) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
    }

    /// The upper bound of the delay after `attempts` failures (the first retry waits up to `baseDelay`).
    public func ceiling(afterAttempts attempts: Int) -> Duration {
        let exponent = min(max(attempts - 1, 0), 40)
        return min(baseDelay * (1 << exponent), maxDelay)
    }

    /// A delay after `attempts` failures, drawn from `generator`.
    public func delay<Generator: RandomNumberGenerator>(afterAttempts attempts: Int, using generator: inout Generator) -> Duration {
        let ceiling = Self.nanoseconds(ceiling(afterAttempts: attempts))
        guard ceiling > 0 else { return .zero }
        switch jitter {
        case .full:
            return .nanoseconds(Int64.random(in: 0...ceiling, using: &generator))
        case .equal:
            let half = ceiling / 2
            return .nanoseconds(half + Int64.random(in: 0...(ceiling - half), using: &generator))
        }
    }

    /// A delay after `attempts` failures, drawn from the system generator.
    public func delay(afterAttempts attempts: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempts: attempts, using: &generator)
    }

    /// Whole nanoseconds of `duration` (saturating).
    public static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }
}
