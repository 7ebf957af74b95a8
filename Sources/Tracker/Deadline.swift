import Database
import Synchronization

/// Runs `operation` and gives up after `limit` with ``DatabaseError`` `.unavailable`.
///
/// postgres-nio's pool keeps a query waiting while the server is down and only notices a cancelled
/// wait at its next reconnect attempt, whose backoff grows to tens of seconds; the ping path and
/// status must not wait for that. So the operation runs in its own task, the caller resumes at the
/// deadline, and the abandoned operation is cancelled and finishes in the background.
func withPostgresDeadline<T: Sendable>(
    _ limit: Duration, doing action: String, _ operation: @escaping @Sendable () async throws -> T
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
            if race.finish(.failure(DatabaseError(
                kind: .unavailable, code: "database_unavailable",
                message: "PostgreSQL did not answer within \(limit) while \(action); check that it is running")))
            {
                work.cancel()
            }
        }
        race.onFinish { timer.cancel() }
    }
}

/// The continuation of one ``withPostgresDeadline(_:doing:_:)`` call, resumed exactly once.
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

extension Error {
    /// A Postgres failure after which retrying later may succeed (server down, slow, connection lost).
    var isPostgresUnavailable: Bool {
        if let error = self as? DatabaseError { return error.kind == .unavailable }
        return false
    }
}
