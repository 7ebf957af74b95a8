import DequeModule
import Dispatch
import Foundation
import Glibc
import Logging
import Synchronization

/// One pooled Redis connection and the OS thread that owns it.
///
/// Callers only enqueue (a short `Mutex` section); the thread does all blocking hiredis I/O. Each
/// time it wakes it takes every queued request, appends all their commands, flushes once and reads
/// the replies in order: concurrent callers are pipelined automatically. A connection that breaks
/// or times out is freed and every request in flight on it fails; the next batch reconnects.
final class RedisConnection: Sendable {
    private struct State {
        var queue: Deque<RedisRequest> = []
        /// The thread is (about to be) waiting on `wakeup` and needs a signal.
        var sleeping = false
        var closed = false
        /// The socket of the open connection, -1 when none. Kept here so `close()` can interrupt a
        /// blocked read; cleared (under the lock) before the descriptor is closed.
        var socket: Int32 = -1
    }

    /// At most this many commands are written per round trip, to bound buffer sizes and latency.
    private static let maxCommandsPerBatch = 4096

    let index: Int
    private let configuration: RedisConfiguration
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// Commands queued or in flight: what "least loaded" compares.
    let load = Atomic<Int>(0)

    init(index: Int, configuration: RedisConfiguration, logger: Logger) {
        self.index = index
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "redis.connection"] = "\(index)"
        self.logger = logger
    }

    /// Starts the owning thread.
    func start() {
        let name = "replayd-redis-\(index)"
        let thread = Thread { [self] in
            Thread.current.name = name
            self.run()
        }
        thread.start()
    }

    /// Queues a request; `false` when the connection is closed (the request was not taken).
    func enqueue(_ request: RedisRequest) -> Bool {
        load.add(request.commands.count, ordering: .relaxed)
        let outcome: Bool? = state.withLock { state in
            guard !state.closed else { return nil }
            state.queue.append(request)
            if state.sleeping {
                state.sleeping = false
                return true
            }
            return false
        }
        guard let mustSignal = outcome else {
            load.subtract(request.commands.count, ordering: .relaxed)
            return false
        }
        if mustSignal { wakeup.signal() }
        return true
    }

    /// Stops accepting work, fails everything queued with ``RedisError/Kind/closed``, interrupts a
    /// blocked read (its requests fail with `.closed` too) and lets the thread exit. Idempotent.
    func close() {
        let (pending, mustSignal): (Deque<RedisRequest>, Bool) = state.withLock { state in
            guard !state.closed else { return ([], false) }
            state.closed = true
            let pending = state.queue
            state.queue = []
            if state.socket >= 0 { _ = Glibc.shutdown(state.socket, Int32(SHUT_RDWR)) }
            let sleeping = state.sleeping
            state.sleeping = false
            return (pending, sleeping)
        }
        if mustSignal { wakeup.signal() }
        for request in pending { finish(request, with: .failure(.closed())) }
    }

    /// Waits for the thread to exit (after ``close()``).
    func join() {
        finished.wait()
        finished.signal()  // later joins return at once
    }

    // MARK: - the owning thread

    private func run() {
        var link: HiredisLink?
        while let batch = nextBatch() {
            process(batch, link: &link)
        }
        release(&link)
        logger.debug("redis connection thread exiting")
        finished.signal()
    }

    /// Blocks until there is work; `nil` once closed.
    private func nextBatch() -> [RedisRequest]? {
        while true {
            let batch: [RedisRequest]? = state.withLock { state in
                if !state.queue.isEmpty {
                    var batch: [RedisRequest] = []
                    var commands = 0
                    while let first = state.queue.first,
                          batch.isEmpty || commands + first.commands.count <= Self.maxCommandsPerBatch {
                        commands += first.commands.count
                        batch.append(state.queue.removeFirst())
                    }
                    return batch
                }
                if state.closed { return nil }
                state.sleeping = true
                return []
            }
            guard let batch else { return nil }
            if !batch.isEmpty { return batch }
            wakeup.wait()
        }
    }

    private func process(_ batch: [RedisRequest], link: inout HiredisLink?) {
        if let open = link, !open.isIdleHealthy {
            logger.info("redis closed an idle connection; reconnecting", metadata: ["redis.endpoint": "\(configuration.endpoint)"])
            release(&link)
        }
        if link == nil {
            switch HiredisLink.connect(configuration) {
            case .success(let opened):
                let accepted = state.withLock { state in
                    guard !state.closed else { return false }
                    state.socket = opened.socket
                    return true
                }
                guard accepted else {
                    for request in batch { finish(request, with: .failure(.closed())) }
                    return
                }
                link = opened
                logger.debug("connected to redis", metadata: ["redis.endpoint": "\(configuration.endpoint)"])
            case .failure(let error):
                logger.warning("cannot connect to redis", metadata: ["error": "\(error.message)"])
                for request in batch { finish(request, with: .failure(error)) }
                return
            }
        }
        guard let open = link else { return }

        let allAppended = batch.allSatisfy { request in request.commands.allSatisfy { open.append($0) } }
        if !allAppended {
                release(&link)
                let error = RedisError(kind: .connectionLost,
                                       message: "Could not buffer a command for Redis at \(configuration.endpoint) (out of memory?); "
                                           + "the connection was closed.")
                for request in batch { finish(request, with: .failure(error)) }
                return
        }

        for (position, request) in batch.enumerated() {
            var replies: [RedisReply] = []
            replies.reserveCapacity(request.commands.count)
            for command in request.commands {
                switch open.readReply() {
                case .success(let reply):
                    replies.append(reply)
                case .failure(let failure):
                    release(&link)
                    let error = self.error(for: failure, command: command)
                    logger.warning("redis connection failed; closed it", metadata: ["error": "\(error.message)"])
                    for unanswered in batch[position...] { finish(unanswered, with: .failure(error)) }
                    return
                }
            }
            finish(request, with: .success(replies))
        }
    }

    private func finish(_ request: RedisRequest, with result: Result<[RedisReply], RedisError>) {
        load.subtract(request.commands.count, ordering: .relaxed)
        switch result {
        case .success(let replies): request.succeed(replies)
        case .failure(let error): request.fail(error)
        }
    }

    /// Frees the connection, clearing the published socket first so `close()` never touches a
    /// descriptor number that may have been reused.
    private func release(_ link: inout HiredisLink?) {
        guard link != nil else { return }
        state.withLock { $0.socket = -1 }
        link = nil
    }

    private func error(for failure: HiredisLink.ReadFailure, command: RedisCommand) -> RedisError {
        let endpoint = configuration.endpoint
        if state.withLock({ $0.closed }) { return .closed() }
        switch failure {
        case .timeout:
            return RedisError(
                kind: .timeout,
                message: "Redis at \(endpoint) did not answer \(command) within the command timeout (\(configuration.commandTimeout)); "
                    + "the connection was closed and the next command reconnects. Check the server's load (SLOWLOG, INFO) "
                    + "or raise the command timeout."
            )
        case .peerClosed(let reason), .io(let reason):
            return RedisError(
                kind: .connectionLost,
                message: "The connection to Redis at \(endpoint) was lost during \(command) (\(reason)); the command may or may "
                    + "not have run. The next command reconnects; if this repeats, check that Redis is running and its log."
            )
        case .protocolError(let reason):
            return RedisError(
                kind: .protocolError,
                message: "Redis at \(endpoint) sent a reply that is not valid RESP (\(reason)); is something other than Redis "
                    + "listening there? Check REPLAYD_REDIS_URL."
            )
        }
    }
}
