import Core
import Logging
import ServiceLifecycle
import Synchronization

/// A pooled, pipelining Redis client over hiredis.
///
/// Each of ``RedisConfiguration/poolSize`` connections is owned by its own OS thread, so blocking
/// hiredis calls never run on the Swift cooperative pool or an event loop. Requests go to the
/// least-loaded connection; requests that arrive while a connection is busy are written together
/// in the next round trip. Connections open lazily and reopen after a failure, so a restarted
/// server is picked up without recreating the client.
///
/// Blocking commands (`BLPOP`, `XREAD BLOCK`) hold a connection (and what is queued behind it) for
/// as long as they block: give them a client of their own.
///
/// Run it in a `ServiceGroup` (``run()`` closes it at graceful shutdown), or call ``close()`` when
/// done; queued work then fails with ``RedisError/Kind/closed``. Dropping the last reference closes
/// the connections without waiting for their threads.
public final class RedisClient: Service, Sendable {
    /// The configuration the client was created with.
    public let configuration: RedisConfiguration
    private let logger: Logger
    private let connections: [RedisConnection]
    private let nextStart = Atomic<Int>(0)
    private let isShutDown = Mutex(false)

    /// Creates the client and starts its connection threads; connections open on first use.
    public init(configuration: RedisConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "redis.endpoint"] = "\(configuration.endpoint)"
        self.logger = logger
        self.connections = (0..<max(1, configuration.poolSize)).map {
            RedisConnection(index: $0, configuration: configuration, logger: logger)
        }
        for connection in connections { connection.start() }
    }

    deinit {
        for connection in connections { connection.close() }
    }

    /// Sends one command. An error reply is thrown as ``RedisError`` of kind ``RedisError/Kind/server(_:)``.
    public func send(_ command: RedisCommand) async throws -> RedisReply {
        let reply = try await submit([command])[0]
        if case .error(let text) = reply { throw RedisError.server(text, endpoint: configuration.endpoint) }
        return reply
    }

    /// Sends one command given as UTF-8 strings, e.g. `send("INCR", key)`.
    public func send(_ arguments: String...) async throws -> RedisReply {
        try await send(RedisCommand(arguments: arguments))
    }

    /// Sends all commands in one write on one connection and returns their replies in order. Error
    /// replies stay in the array as ``RedisReply/error(_:)``; connection failures throw.
    /// Not a transaction: wrap in `MULTI`/`EXEC` for atomicity.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        return try await submit(commands)
    }

    /// Runs a Lua script with `EVALSHA`; when the server does not have it cached (`NOSCRIPT`, e.g. after a
    /// restart or `SCRIPT FLUSH`) it is sent once more with `EVAL`, which loads it.
    public func eval(_ script: RedisScript, keys: [String], arguments: [String]) async throws -> RedisReply {
        let tail = [String(keys.count)] + keys + arguments
        do {
            return try await send(RedisCommand(arguments: ["EVALSHA", script.sha1] + tail))
        } catch let error as RedisError where error.serverMessage?.hasPrefix("NOSCRIPT") == true {
            logger.debug("redis script not cached; sending it with EVAL", metadata: ["redis.script": "\(script.sha1)"])
            return try await send(RedisCommand(arguments: ["EVAL", script.source] + tail))
        }
    }

    /// Checks the server answers `PING` with `PONG`.
    public func ping() async throws {
        let reply = try await send("PING")
        guard reply == .status("PONG") else {
            throw RedisError(kind: .protocolError,
                             message: "Redis at \(configuration.endpoint) answered PING with \(reply) instead of PONG; "
                                 + "is something other than Redis listening there? Check REPLAYD_REDIS_URL.")
        }
    }

    /// Waits for graceful shutdown, then ``close()``s the client.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// ``shutdown()`` on a thread of its own: the caller suspends, no pool thread blocks.
    public func close() async {
        _ = try? await BlockingWork.run(thread: "redis-close") { [self] in shutdown() }
    }

    /// Fails queued and in-flight work with ``RedisError/Kind/closed``, closes the connections and
    /// waits for their threads to exit. Later calls (and later commands, which throw `.closed`) are
    /// harmless. Blocks briefly: from async code call ``close()``.
    public func shutdown() {
        let first = isShutDown.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        for connection in connections { connection.close() }
        for connection in connections { connection.join() }
        logger.debug("redis client shut down")
    }

    // MARK: -

    private func submit(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        for command in commands where command.arguments.isEmpty {
            throw RedisError(kind: .invalidCommand, message: "A Redis command needs at least a name; this is a bug in the caller.")
        }
        let connection = leastLoaded()
        return try await withCheckedThrowingContinuation { continuation in
            let request = RedisRequest(commands: commands, continuation: continuation)
            if !connection.enqueue(request) { request.fail(.closed()) }
        }
    }

    /// The connection with the fewest queued or in-flight commands, scanning from a rotating start
    /// so ties spread evenly.
    private func leastLoaded() -> RedisConnection {
        let count = connections.count
        if count == 1 { return connections[0] }
        let start = nextStart.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max
        var best = connections[start % count]
        var bestLoad = best.load.load(ordering: .relaxed)
        var offset = 1
        while bestLoad > 0 && offset < count {
            let candidate = connections[(start + offset) % count]
            let candidateLoad = candidate.load.load(ordering: .relaxed)
            if candidateLoad < bestLoad {
                best = candidate
                bestLoad = candidateLoad
            }
            offset += 1
        }
        return best
    }
}
