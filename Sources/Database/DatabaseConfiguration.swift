import Core
import Foundation
import PostgresNIO

/// Where PostgreSQL is and how many connections replayd may hold, parsed from a
/// `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]` URL.
public struct DatabaseConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// `disable` (default for loopback hosts), `prefer` or `require`.
    public var sslMode: String
    public var maximumConnections: Int
    public var connectTimeout: Duration

    public init(
        host: String = "127.0.0.1", port: Int = 15432, username: String = "postgres", password: String? = nil,
        database: String = "replayd", sslMode: String = "disable", maximumConnections: Int = 20,
        connectTimeout: Duration = .seconds(5)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.maximumConnections = maximumConnections
        self.connectTimeout = connectTimeout
    }

    /// Parses a `postgres://` URL; `variable` names the setting in error messages.
    public init(url: String, variable: String = "REPLAYD_POSTGRES_URL") throws {
        guard let components = URLComponents(string: url),
              components.scheme == "postgres" || components.scheme == "postgresql",
              let host = components.host, !host.isEmpty
        else {
            throw ReplaydError(
                code: "invalid_configuration",
                message: "\(variable)=\(URLRedaction.credentialsRedacted(url)) is not a PostgreSQL URL; use postgres://user[:password]@host[:port]/database")
        }
        let database = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value
            ?? (host == "127.0.0.1" || host == "localhost" || host == "::1" ? "disable" : "prefer")
        guard ["disable", "prefer", "require"].contains(sslMode) else {
            throw ReplaydError(code: "invalid_configuration",
                               message: "\(variable): sslmode=\(sslMode) is not supported; use disable, prefer or require")
        }
        self.init(
            host: host, port: components.port ?? 5432,
            username: components.user.map { $0.removingPercentEncoding ?? $0 } ?? "postgres",
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.isEmpty ? "replayd" : database,
            sslMode: sslMode)
    }

    /// The postgres-nio client configuration for this setting.
    public var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "require": tls = .require(.makeClientConfiguration())
        case "prefer": tls = .prefer(.makeClientConfiguration())
        default: tls = .disable
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = connectTimeout
        return configuration
    }

    /// `host:port/database`, for logs and error messages (never the password).
    public var displayName: String { "\(host):\(port)/\(database)" }
}
