import Core
import Testing

/// ``Backoff``: the ceiling doubles up to the cap; full jitter spans 0…ceiling, equal jitter the
/// upper half.
struct BackoffTests {
    @Test func ceilingDoublesUpToTheCap() {
        let backoff = Backoff(baseDelay: .milliseconds(500), maxDelay: .seconds(3))
        #expect((0...6).map { backoff.ceiling(afterAttempts: $0) } == [
            .milliseconds(500), .milliseconds(500), .seconds(1), .seconds(2), .seconds(3), .seconds(3), .seconds(3),
        ])
        #expect(backoff.ceiling(afterAttempts: 10_000) == .seconds(3), "no overflow for huge attempt counts")
    }

    @Test func jitterRules() {
        var generator = SystemRandomNumberGenerator()
        let full = Backoff(baseDelay: .milliseconds(100), maxDelay: .seconds(30), jitter: .full)
        let equal = Backoff(baseDelay: .milliseconds(100), maxDelay: .seconds(30), jitter: .equal)
        let fullDelays = (0..<500).map { _ in full.delay(afterAttempts: 3, using: &generator) }
        let equalDelays = (0..<500).map { _ in equal.delay(afterAttempts: 3, using: &generator) }
        #expect(fullDelays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(400) })
        #expect(fullDelays.contains { $0 < .milliseconds(100) }, "full jitter reaches near zero")
        #expect(equalDelays.allSatisfy { $0 >= .milliseconds(200) && $0 <= .milliseconds(400) })
        #expect(Backoff(baseDelay: .zero, maxDelay: .zero).delay(afterAttempts: 3) == .zero)
    }
}
