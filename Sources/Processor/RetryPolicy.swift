/// Exponential backoff with full jitter: the delay before retry `n` (after `n` failed attempts) is
/// uniformly random in `0...min(maxDelay, baseDelay · 2^(n-1))`. Pure; the random source is a
/// parameter so tests can pin it.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included; after that many failures the record is dead-lettered.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30)) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Whether a record that failed `attempts` times may be tried again.
    public func shouldRetry(afterAttempts attempts: Int) -> Bool {
        attempts < maxAttempts
    }

    /// The upper bound of the delay after `attempts` failures (at least 1).
    public func ceiling(afterAttempts attempts: Int) -> Duration {
        let exponent = min(max(attempts - 1, 0), 40)
        let ceiling = baseDelay * (1 << exponent)
        return min(ceiling, maxDelay)
    }

    /// A random delay in `0...ceiling(afterAttempts:)`.
    public func delay<Generator: RandomNumberGenerator>(afterAttempts attempts: Int, using generator: inout Generator) -> Duration {
        let ceiling = ceiling(afterAttempts: attempts)
        let nanoseconds = Self.nanoseconds(ceiling)
        guard nanoseconds > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...nanoseconds, using: &generator))
    }

    /// A random delay drawn from the system generator.
    public func delay(afterAttempts attempts: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempts: attempts, using: &generator)
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }
}
