import Synchronization

/// Runs `operation` and gives up after `limit`, throwing `timeoutError()`: the one deadline helper.
///
/// Unlike a task group (which waits for every child, so an operation that ignores cancellation
/// holds the caller past its deadline), the operation runs in a task of its own; the caller resumes
/// at the deadline, and the abandoned operation is cancelled and finishes in the background.
/// postgres-nio's pool, for one, keeps a query waiting while the server is down and only notices
/// the cancellation at its next reconnect attempt.
public func withDeadline<T: Sendable>(
    _ limit: Duration, timeoutError: @escaping @Sendable () -> any Error, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withCheckedThrowingContinuation { continuation in
        race.start(continuation)
        let work = Task {
            do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            if Task.isCancelled { return }
            if race.finish(.failure(timeoutError())) { work.cancel() }
        }
        race.onFinish { timer.cancel() }
    }
}

/// The continuation of one ``withDeadline(_:timeoutError:_:)`` call, resumed exactly once.
private final class DeadlineRace<T: Sendable>: Sendable {
    struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var finished = false
        var cleanup: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Resumes the caller unless already resumed; returns whether this call did.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let (continuation, cleanup): (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) = state.withLock { state in
            guard !state.finished else { return (nil, nil) }
            state.finished = true
            defer { state.continuation = nil }
            return (state.continuation, state.cleanup)
        }
        guard let continuation else { return false }
        cleanup?()
        continuation.resume(with: result)
        return true
    }

    /// Runs `cleanup` when the race finishes (at once if it already has).
    func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
        let done = state.withLock { state in
            if !state.finished { state.cleanup = cleanup }
            return state.finished
        }
        if done { cleanup() }
    }
}
