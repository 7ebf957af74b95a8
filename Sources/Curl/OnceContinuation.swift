import Synchronization

/// A continuation that may be resumed from several places; only the first resume counts.
final class OnceContinuation<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, any Error>?>

    init(_ continuation: CheckedContinuation<Value, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(with result: Result<Value, any Error>) {
        let taken = continuation.withLock { c -> CheckedContinuation<Value, any Error>? in
            defer { c = nil }
            return c
        }
        taken?.resume(with: result)
    }
}
