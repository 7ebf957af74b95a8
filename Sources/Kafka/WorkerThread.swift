import Dispatch
import Foundation
import Synchronization

/// A dedicated OS thread that runs blocking librdkafka calls, so they never occupy the Swift
/// cooperative thread pool or an event loop.
///
/// Jobs run one at a time in submission order. Between jobs the thread runs `idle` (the producer
/// passes `rd_kafka_poll`, which itself blocks for a short while) or, without `idle`, sleeps until a
/// job arrives. A job may call ``stopAfterCurrentJob()`` so that nothing (not even `idle`) runs after
/// it — used when a job destroys the handle that `idle` would touch.
final class WorkerThread: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var stopping = false
        var exited = false
        var exitWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private enum Step {
        case job(@Sendable () -> Void)
        case idle
        case exit
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let idle: (@Sendable () -> Void)?

    init(name: String, idle: (@Sendable () -> Void)? = nil) {
        self.idle = idle
        let thread = Thread { [self] in self.main() }
        thread.name = name
        thread.start()
    }

    /// Runs `body` on this thread and returns its result. Throws ``KafkaError/Kind/closed`` if the
    /// thread is stopping.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = state.withLock { state -> Bool in
                guard !state.stopping else { return false }
                state.jobs.append { continuation.resume(with: Result { try body() }) }
                return true
            }
            if accepted {
                wakeup.signal()
            } else {
                continuation.resume(throwing: KafkaError.closed())
            }
        }
    }

    /// Makes the thread exit once the job running now (and any already queued) finished; `idle` is not
    /// called again.
    func stopAfterCurrentJob() {
        state.withLock { $0.stopping = true }
        wakeup.signal()
    }

    /// Stops the thread after its queued jobs and waits until it has exited. Idempotent.
    func stop() async {
        stopAfterCurrentJob()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let exited = state.withLock { state -> Bool in
                if state.exited { return true }
                state.exitWaiters.append(continuation)
                return false
            }
            if exited { continuation.resume() }
        }
    }

    private func main() {
        while true {
            let step = state.withLock { state -> Step in
                if !state.jobs.isEmpty { return .job(state.jobs.removeFirst()) }
                return state.stopping ? .exit : .idle
            }
            switch step {
            case .job(let job):
                job()
            case .idle:
                if let idle {
                    idle()
                } else {
                    wakeup.wait()
                }
            case .exit:
                let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                    state.exited = true
                    defer { state.exitWaiters = [] }
                    return state.exitWaiters
                }
                for waiter in waiters { waiter.resume() }
                return
            }
        }
    }

    /// Runs one blocking call on a new, short-lived thread (for rare operations such as admin requests).
    static func runDetached<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = name
            thread.start()
        }
    }
}
