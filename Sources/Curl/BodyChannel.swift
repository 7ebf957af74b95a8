import Dispatch
import Synchronization

/// The bounded hand-over between a worker thread receiving a streamed body and the task reading
/// ``CurlBodyStream``. At most ``maxBuffered`` bytes wait; beyond that the worker thread blocks in
/// curl's write callback (so curl stops reading the socket and TCP flow control slows the server)
/// until the consumer catches up, cancels, or the client shuts down.
final class BodyChannel: Sendable {
    static let maxBuffered = 1 << 20
    /// Small writes are merged up to this size; curl's own writes are at most its buffer size.
    static let chunkTarget = 256 << 10

    private struct State {
        var chunks: [[UInt8]] = []
        var buffered = 0
        var finished = false
        var failure: (any Error)?
        var consumerGone = false
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var producerWaiting = false
    }

    private let state = Mutex(State())
    private let space = DispatchSemaphore(value: 0)
    let control: TransferControl

    init(control: TransferControl) {
        self.control = control
    }

    // MARK: producer (worker thread)

    private enum SendAction {
        case deliver(CheckedContinuation<[UInt8]?, any Error>)
        case queued
        case wait
        case stop
    }

    /// Hands `bytes` to the consumer, blocking while the buffer is full. Returns `false` when the
    /// consumer went away or `shouldStop` says so; the transfer must then be aborted.
    func send(_ bytes: UnsafeRawBufferPointer, shouldStop: () -> Bool) -> Bool {
        while true {
            let action = state.withLock { s -> SendAction in
                if s.consumerGone { return .stop }
                if let waiter = s.waiter {
                    s.waiter = nil
                    return .deliver(waiter)
                }
                if s.buffered < Self.maxBuffered {
                    if let last = s.chunks.indices.last, s.chunks[last].count + bytes.count <= Self.chunkTarget {
                        s.chunks[last].append(contentsOf: bytes)
                    } else {
                        s.chunks.append(Array(bytes))
                    }
                    s.buffered += bytes.count
                    return .queued
                }
                s.producerWaiting = true
                return .wait
            }
            switch action {
            case .deliver(let waiter):
                waiter.resume(returning: Array(bytes))
                return true
            case .queued:
                return true
            case .stop:
                return false
            case .wait:
                // Woken by the consumer taking a chunk or cancelling; the timeout re-checks shutdown.
                _ = space.wait(timeout: .now() + .milliseconds(100))
                if shouldStop() { return false }
            }
        }
    }

    /// Ends the stream after the buffered chunks, with `failure` if the transfer failed.
    func finish(_ failure: (any Error)?) {
        let waiter = state.withLock { s -> CheckedContinuation<[UInt8]?, any Error>? in
            guard !s.finished else { return nil }
            s.finished = true
            guard let waiter = s.waiter else {
                s.failure = failure  // thrown by the next `next()` once the buffer is drained
                return nil
            }
            s.waiter = nil  // a waiting consumer means the buffer is empty: hand the end over now
            return waiter
        }
        if let waiter {
            if let failure { waiter.resume(throwing: failure) } else { waiter.resume(returning: nil) }
        }
    }

    // MARK: consumer

    /// The consumer stopped reading: drop buffered data, wake the producer, abort the transfer.
    func cancel() {
        let (waiter, wake) = state.withLock { s -> (CheckedContinuation<[UInt8]?, any Error>?, Bool) in
            guard !s.consumerGone else { return (nil, false) }
            s.consumerGone = true
            s.chunks = []
            s.buffered = 0
            let waiter = s.waiter
            s.waiter = nil
            let wake = s.producerWaiting
            s.producerWaiting = false
            return (waiter, wake)
        }
        control.cancel()
        if wake { space.signal() }
        waiter?.resume(throwing: CancellationError())
    }

    private enum NextAction {
        case value([UInt8]?, wakeProducer: Bool)
        case fail(any Error)
        case wait
    }

    func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                let action = state.withLock { s -> NextAction in
                    if !s.chunks.isEmpty {
                        let chunk = s.chunks.removeFirst()
                        s.buffered -= chunk.count
                        let wake = s.producerWaiting
                        s.producerWaiting = false
                        return .value(chunk, wakeProducer: wake)
                    }
                    if s.consumerGone { return .fail(CancellationError()) }
                    if s.finished {
                        if let failure = s.failure {
                            s.failure = nil  // thrown once; afterwards the sequence just ends
                            return .fail(failure)
                        }
                        return .value(nil, wakeProducer: false)
                    }
                    s.waiter = continuation
                    return .wait
                }
                switch action {
                case .value(let chunk, let wake):
                    if wake { space.signal() }
                    continuation.resume(returning: chunk)
                case .fail(let error):
                    continuation.resume(throwing: error)
                case .wait:
                    break
                }
            }
        } onCancel: {
            cancel()
        }
    }
}
