import CRdKafka
import Foundation
import Synchronization

/// Owns one `rd_kafka_t` and destroys it only after every caller inside ``withHandle(_:)`` left.
///
/// librdkafka documents `rd_kafka_t` as thread-safe: all functions used through this handle may be
/// called concurrently from any thread. What is not safe is using it during or after
/// `rd_kafka_destroy`; `state` makes that impossible.
final class RdKafkaClient: Sendable {
    /// The raw handle. `@unchecked Sendable` is sound because librdkafka's handle is thread-safe and
    /// its lifetime is guarded by `RdKafkaClient.state` (see the type's documentation).
    private struct Handle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private struct State {
        var destroyed = false
        var users = 0
    }

    private let handle: Handle
    private let state = Mutex(State())

    init(_ pointer: OpaquePointer) {
        handle = Handle(pointer: pointer)
    }

    /// Calls `body` with the live handle; throws ``KafkaError/Kind/closed`` once destroyed.
    func withHandle<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        try state.withLock { state throws(KafkaError) in
            guard !state.destroyed else { throw KafkaError.closed() }
            state.users += 1
        }
        defer { state.withLock { $0.users -= 1 } }
        return try body(handle.pointer)
    }

    /// Refuses new users, waits for current ones to return, then calls `rd_kafka_destroy`.
    /// Blocks: call it on a ``WorkerThread``. Idempotent.
    func destroy() {
        _ = destroyIfLive()
    }

    /// ``destroy()``, returning whether this call destroyed the handle (false if it was already).
    @discardableResult
    func destroyIfLive() -> Bool {
        let alreadyDestroyed = state.withLock { state -> Bool in
            defer { state.destroyed = true }
            return state.destroyed
        }
        guard !alreadyDestroyed else { return false }
        while state.withLock({ $0.users }) > 0 {
            usleep(1_000)
        }
        rd_kafka_destroy(handle.pointer)
        return true
    }
}
