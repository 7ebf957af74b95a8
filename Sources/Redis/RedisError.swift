import Core

/// A failure of a Redis operation, with a message that tells the operator what to do.
///
/// `kind` says what went wrong in a form code can switch on; `message` is for people.
public struct RedisError: UserFacingError, Equatable {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// The configuration (usually the Redis URL) is unusable.
        case invalidConfiguration
        /// A command was malformed before it was sent (for example, it had no arguments).
        case invalidCommand
        /// No connection could be opened (refused, unreachable, connect timeout, AUTH or SELECT rejected).
        case connectionFailed
        /// An open connection broke while a command was in flight; the command may or may not have run.
        case connectionLost
        /// The server did not answer within the command timeout; the connection was closed.
        case timeout
        /// The server answered with an error reply (its text, e.g. `WRONGTYPE Operation against ...`).
        case server(String)
        /// The server sent something that is not valid RESP.
        case protocolError
        /// The client was shut down.
        case closed
    }

    /// What went wrong.
    public var kind: Kind
    /// What happened and what to do about it.
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// Stable snake_case identifier of ``kind``.
    public var code: String {
        switch kind {
        case .invalidConfiguration: "redis_invalid_configuration"
        case .invalidCommand: "redis_invalid_command"
        case .connectionFailed: "redis_connection_failed"
        case .connectionLost: "redis_connection_lost"
        case .timeout: "redis_timeout"
        case .server: "redis_server_error"
        case .protocolError: "redis_protocol_error"
        case .closed: "redis_closed"
        }
    }

    /// The server's error text when ``kind`` is ``Kind/server(_:)``, else `nil`.
    public var serverMessage: String? {
        if case .server(let text) = kind { return text }
        return nil
    }

    /// True for errors after which the same command can be tried again on a fresh connection
    /// (connect failures, lost connections and timeouts).
    public var isConnectionError: Bool {
        switch kind {
        case .connectionFailed, .connectionLost, .timeout: true
        default: false
        }
    }
}

extension RedisError {
    static func closed() -> RedisError {
        RedisError(kind: .closed, message: "The Redis client has been shut down; no further commands can be sent with it.")
    }

    static func server(_ text: String, endpoint: String) -> RedisError {
        RedisError(kind: .server(text), message: "Redis at \(endpoint) answered with an error: \(text)")
    }
}
