import Core

/// When the Processor retries a record: ``maxAttempts`` in all, with ``Backoff`` and full jitter
/// between them (uniformly random in `0...min(maxDelay, baseDelay · 2^(n-1))` after `n` failures).
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

    /// The backoff between attempts: full jitter.
    public var backoff: Backoff { Backoff(baseDelay: baseDelay, maxDelay: maxDelay, jitter: .full) }

    /// The upper bound of the delay after `attempts` failures (at least 1).
    public func ceiling(afterAttempts attempts: Int) -> Duration {
        backoff.ceiling(afterAttempts: attempts)
    }

    /// A random delay in `0...ceiling(afterAttempts:)`.
    public func delay<Generator: RandomNumberGenerator>(afterAttempts attempts: Int, using generator: inout Generator) -> Duration {
        backoff.delay(afterAttempts: attempts, using: &generator)
    }

    /// A random delay drawn from the system generator.
    public func delay(afterAttempts attempts: Int) -> Duration {
        backoff.delay(afterAttempts: attempts)
    }

    static func nanoseconds(_ duration: Duration) -> Int64 { Backoff.nanoseconds(duration) }
}
