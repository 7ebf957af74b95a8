import Core
import Foundation

/// Where and how ``RedisClient`` connects.
///
/// Built in code or from a URL, `redis://[[username]:password@]host[:port][/database]`
/// (the form of `REPLAYD_REDIS_URL`).
public struct RedisConfiguration: Sendable, Equatable {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// ACL user name sent with the password (`AUTH username password`); `nil` for `AUTH password`.
    public var username: String?
    /// Password sent with `AUTH` after connecting; `nil` sends no `AUTH`.
    public var password: String?
    /// Database index selected after connecting.
    public var database: Int = 0
    /// Number of connections, each owned by its own thread. Requests go to the least-loaded one.
    public var poolSize: Int = 4
    /// How long to wait for the TCP connection to open.
    public var connectTimeout: Duration = .seconds(1)
    /// How long a connection may go without the next expected reply byte before it is closed and
    /// its requests fail with ``RedisError/Kind/timeout``. `.zero` waits forever. Blocking
    /// commands (`BLPOP key 5`) need a longer timeout than they block.
    public var commandTimeout: Duration = .seconds(2)

    public init(host: String = "127.0.0.1", port: Int = 6379) {
        self.host = host
        self.port = port
    }

    /// Parses `redis://[[username]:password@]host[:port][/database]`; the port defaults to 6379 and
    /// the database to 0. Throws ``RedisError`` of kind ``RedisError/Kind/invalidConfiguration``
    /// with a message naming what is wrong.
    public init(url: String) throws {
        let shown = Self.redacted(url)
        func invalid(_ problem: String) -> RedisError {
            RedisError(
                kind: .invalidConfiguration,
                message: "The Redis URL '\(shown)' is invalid: \(problem). Expected redis://[:password@]host[:port][/db], "
                    + "e.g. redis://127.0.0.1:6379/0; check REPLAYD_REDIS_URL."
            )
        }
        let trimmed = url.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw invalid("it is empty") }
        guard trimmed.contains("://") else { throw invalid("it has no scheme; it must start with redis://") }
        guard let components = URLComponents(string: trimmed) else { throw invalid("it cannot be parsed as a URL") }
        guard let scheme = components.scheme?.lowercased() else { throw invalid("it has no scheme") }
        if scheme == "rediss" { throw invalid("TLS (rediss://) is not supported") }
        guard scheme == "redis" else { throw invalid("the scheme is '\(scheme)', not 'redis'") }
        guard let host = components.host, !host.isEmpty else { throw invalid("it has no host") }
        if let port = components.port, !(1...65535).contains(port) { throw invalid("port \(port) is out of range") }
        if components.port == nil, Self.hasExplicitEmptyOrBadPort(trimmed) { throw invalid("the port is not a number") }
        if let query = components.query, !query.isEmpty { throw invalid("query parameters are not supported") }

        var database = 0
        let path = components.path
        if !path.isEmpty && path != "/" {
            let text = path.hasPrefix("/") ? String(path.dropFirst()) : path
            guard let number = Int(text), number >= 0 else {
                throw invalid("the path must be a database number such as /0, not '\(path)'")
            }
            database = number
        }

        self.init(host: host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host,
                  port: components.port ?? 6379)
        self.database = database
        if let user = components.user, !user.isEmpty { self.username = user }
        if let password = components.password, !password.isEmpty { self.password = password }
        if username != nil && password == nil { throw invalid("a user name needs a password (redis://user:password@host)") }
    }

    /// `host:port`, for messages.
    public var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The URL with any credentials replaced by `***`, so it can be logged.
    static func redacted(_ url: String) -> String { URLRedaction.credentialsRedacted(url) }

    /// URLComponents returns a nil port both for "host" and for "host:" / "host:abc"; tell them apart.
    private static func hasExplicitEmptyOrBadPort(_ url: String) -> Bool {
        guard let schemeEnd = url.range(of: "://") else { return false }
        var authority = url[schemeEnd.upperBound...]
        if let slash = authority.firstIndex(of: "/") { authority = authority[..<slash] }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            return authority[authority.index(after: close)...].hasPrefix(":")
        }
        return authority.contains(":")
    }
}
