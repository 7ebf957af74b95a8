import CHiredis
import Glibc

/// One open hiredis connection. Not thread-safe and deliberately not `Sendable`: it is created, used
/// and freed by the single thread that owns its ``RedisConnection``.
final class HiredisLink {
    /// Why reading a reply failed.
    enum ReadFailure: Error {
        case timeout
        case peerClosed(String)
        case io(String)
        case protocolError(String)
    }

    private let context: UnsafeMutablePointer<redisContext>
    private var argumentBytes: [UInt8] = []
    private var argumentLengths: [Int] = []

    private init(context: UnsafeMutablePointer<redisContext>) {
        self.context = context
    }

    deinit {
        redisFree(context)
    }

    /// The socket descriptor (valid until this link is released).
    var socket: Int32 { context.pointee.fd }

    /// Opens a connection, sets the command timeout, then authenticates and selects the database.
    static func connect(_ configuration: RedisConfiguration) -> Result<HiredisLink, RedisError> {
        let endpoint = configuration.endpoint
        guard let context = chiredis_connect(configuration.host, Int32(clamping: configuration.port),
                                             configuration.connectTimeout.microseconds) else {
            return .failure(RedisError(kind: .connectionFailed,
                                       message: "Out of memory while connecting to Redis at \(endpoint)."))
        }
        if context.pointee.err != 0 {
            let reason = String(cString: chiredis_errstr(context))
            redisFree(context)
            return .failure(connectFailure(reason: reason, configuration: configuration))
        }
        let link = HiredisLink(context: context)
        _ = redisEnableKeepAlive(context)
        if chiredis_set_timeout(context, configuration.commandTimeout.microseconds) != REDIS_OK {
            return .failure(RedisError(kind: .connectionFailed,
                                       message: "Could not set the command timeout on the connection to Redis at \(endpoint): "
                                           + String(cString: chiredis_errstr(context)) + "."))
        }
        if let password = configuration.password {
            var auth = ["AUTH"]
            if let user = configuration.username { auth.append(user) }
            auth.append(password)
            if let error = link.handshake(RedisCommand(arguments: auth), configuration: configuration,
                                          what: "rejected the credentials",
                                          hint: "check the password in REPLAYD_REDIS_URL") {
                return .failure(error)
            }
        }
        if configuration.database != 0 {
            if let error = link.handshake(RedisCommand("SELECT", String(configuration.database)),
                                          configuration: configuration,
                                          what: "refused to select database \(configuration.database)",
                                          hint: "check the database number in REPLAYD_REDIS_URL") {
                return .failure(error)
            }
        }
        return .success(link)
    }

    private static func connectFailure(reason: String, configuration: RedisConfiguration) -> RedisError {
        let endpoint = configuration.endpoint
        let lower = reason.lowercased()
        let message: String
        if lower.contains("refused") {
            message = "Redis at \(endpoint) refused the connection; is it running? Check REPLAYD_REDIS_URL."
        } else if lower.contains("timed out") || lower.contains("timeout") {
            message = "Redis at \(endpoint) did not accept a connection within \(configuration.connectTimeout) (\(reason)); "
                + "is the host reachable and the port right? Check REPLAYD_REDIS_URL."
        } else if lower.contains("name") || lower.contains("resolve") || lower.contains("known") {
            message = "Cannot resolve the Redis host '\(configuration.host)' (\(reason)); check REPLAYD_REDIS_URL."
        } else {
            message = "Cannot connect to Redis at \(endpoint) (\(reason)); is it running and reachable? Check REPLAYD_REDIS_URL."
        }
        return RedisError(kind: .connectionFailed, message: message)
    }

    /// Sends one command synchronously during connection set-up; `nil` when it succeeded.
    private func handshake(_ command: RedisCommand, configuration: RedisConfiguration,
                           what: String, hint: String) -> RedisError? {
        let endpoint = configuration.endpoint
        guard append(command) else {
            return RedisError(kind: .connectionFailed, message: "Could not queue \(command) for Redis at \(endpoint).")
        }
        switch readReply() {
        case .success(.error(let text)):
            return RedisError(kind: .connectionFailed, message: "Redis at \(endpoint) \(what): \(text); \(hint).")
        case .success:
            return nil
        case .failure(let failure):
            return RedisError(kind: .connectionFailed,
                              message: "Redis at \(endpoint) did not complete \(command) while connecting (\(failure)); "
                                  + "is it running? Check REPLAYD_REDIS_URL.")
        }
    }

    /// Adds one command to the output buffer (nothing is written until a reply is read).
    func append(_ command: RedisCommand) -> Bool {
        argumentBytes.removeAll(keepingCapacity: true)
        argumentLengths.removeAll(keepingCapacity: true)
        for argument in command.arguments {
            argumentBytes.append(contentsOf: argument)
            argumentLengths.append(argument.count)
        }
        let count = Int32(clamping: argumentLengths.count)
        let status = argumentBytes.withUnsafeBufferPointer { bytes in
            argumentLengths.withUnsafeBufferPointer { lengths in
                chiredis_append_packed(context, count,
                                       UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self),
                                       lengths.baseAddress)
            }
        }
        return status == REDIS_OK
    }

    /// Flushes the output buffer if needed, then blocks (up to the command timeout) for the next reply.
    func readReply() -> Result<RedisReply, ReadFailure> {
        var reply: UnsafeMutablePointer<redisReply>?
        var savedErrno: Int32 = 0
        let status = chiredis_get_reply(context, &reply, &savedErrno)
        if status == REDIS_OK, let reply {
            defer { freeReplyObject(reply) }
            return .success(RedisReply(hiredis: reply))
        }
        let reason = String(cString: chiredis_errstr(context))
        switch context.pointee.err {
        case REDIS_ERR_IO where savedErrno == EAGAIN || savedErrno == EWOULDBLOCK:
            return .failure(.timeout)
        case REDIS_ERR_EOF:
            return .failure(.peerClosed(reason))
        case REDIS_ERR_PROTOCOL:
            return .failure(.protocolError(reason))
        default:
            return .failure(.io(reason.isEmpty ? "no reply" : reason))
        }
    }

    /// An idle connection must have nothing to read; anything readable means the server closed it
    /// (restart, idle timeout, CLIENT KILL) or the stream is out of step. Costs one `poll`.
    var isIdleHealthy: Bool {
        chiredis_idle_connection_is_healthy(context) == 1
    }
}
