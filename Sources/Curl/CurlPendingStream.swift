import Synchronization

/// A streamed request already handed to a worker thread (``CurlClient/startStream(_:)``):
/// ``head()`` waits for its response head, ``body`` then delivers the body as
/// ``CurlClient/stream(_:)``'s does. Lets a caller start a transfer and do something else before
/// it waits (no task is needed to run it).
///
/// Call ``head()`` at most once. Cancelling the task waiting in it, ``cancel()``, or dropping this
/// object and the body before the end aborts the transfer.
public final class CurlPendingStream: Sendable {
    let slot: HeadSlot
    let control: TransferControl
    /// The body, valid once ``head()`` has returned.
    public let body: CurlBodyStream

    init(slot: HeadSlot, control: TransferControl, body: CurlBodyStream) {
        self.slot = slot
        self.control = control
        self.body = body
    }

    /// The response head: the status and headers of the final response.
    public func head() async throws -> CurlResponse {
        let slot = slot
        return try await withTaskCancellationHandler {
            try await slot.wait()
        } onCancel: {
            control.cancel()
        }
    }

    /// Aborts the transfer.
    public func cancel() {
        control.cancel()
        body.cancel()
    }
}

/// Where a worker leaves a response head for the one waiting for it. Held by the job, not the
/// body: dropping the body still aborts the transfer.
final class HeadSlot: Sendable {
    private enum State {
        case waiting(CheckedContinuation<CurlResponse, any Error>?)
        case arrived(Result<CurlResponse, any Error>)
    }

    private let state = Mutex(State.waiting(nil))

    /// Hands the head (or why none came) to the waiter; later calls are ignored.
    func deliver(_ result: Result<CurlResponse, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<CurlResponse, any Error>?? in
            guard case .waiting(let waiter) = state else { return nil }
            state = .arrived(result)
            return .some(waiter)
        }
        if case .some(.some(let continuation)) = waiter { continuation.resume(with: result) }
    }

    /// Waits for ``deliver(_:)`` (at most one waiter).
    func wait() async throws -> CurlResponse {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CurlResponse, any Error>) in
            let arrived = state.withLock { state -> Result<CurlResponse, any Error>? in
                switch state {
                case .arrived(let result): return result
                case .waiting: state = .waiting(continuation); return nil
                }
            }
            if let arrived { continuation.resume(with: arrived) }
        }
    }
}
