import Core
import Foundation
import Testing

/// ``withDeadline(_:timeoutError:_:)`` answers at its deadline even when the operation ignores
/// cancellation (as a query to a stopped PostgreSQL does), and passes results and errors through.
struct DeadlineTests {
    struct Late: Error {}
    struct Failed: Error, Equatable {}

    /// Finishes after `seconds` whatever happens to its task.
    static func uncancellable(seconds: Double) async -> Int {
        await withCheckedContinuation { continuation in
            Thread {
                Thread.sleep(forTimeInterval: seconds)
                continuation.resume(returning: 1)
            }.start()
        }
    }

    @Test func answersAtTheDeadlineWhenTheOperationIgnoresCancellation() async {
        let start = ContinuousClock.now
        await #expect(throws: Late.self) {
            try await withDeadline(.milliseconds(200), timeoutError: { Late() }) { await Self.uncancellable(seconds: 10) }
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(5), "the caller waited \(elapsed) for an operation abandoned at 200 ms")
    }

    @Test func passesResultsAndErrorsThrough() async throws {
        #expect(try await withDeadline(.seconds(5), timeoutError: { Late() }) { 42 } == 42)
        await #expect(throws: Failed.self) {
            try await withDeadline(.seconds(5), timeoutError: { Late() }) { () async throws -> Int in throw Failed() }
        }
    }
}
