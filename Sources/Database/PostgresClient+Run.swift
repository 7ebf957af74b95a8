import Logging
import NIOCore
import PostgresNIO

extension PostgresClient {
    /// Creates a client for `configuration`, runs its pool for the duration of `body`, then shuts it
    /// down. For commands and tests; long-running services add the client to their `ServiceGroup`.
    ///
    /// The pool waits for a server that is down (it keeps reconnecting), which suits services but not
    /// a command a person is waiting on: so this first opens one connection directly and fails at once,
    /// with a message that says what to check, when the server cannot be reached.
    public static func withClient<Result: Sendable>(
        _ configuration: DatabaseConfiguration,
        logger: Logger,
        _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        try await configuration.checkReachable(logger: logger)
        let client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            // Let run() start before the first lease, so the pool does not warn about it.
            try await Task.sleep(for: .milliseconds(5))
            return try await body(client)
        }
    }
}

extension DatabaseConfiguration {
    /// Opens and closes one connection; throws ``DatabaseError`` (`.unavailable`) when that fails.
    public func checkReachable(logger: Logger) async throws {
        var connectionConfiguration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database,
            tls: sslMode == "disable" ? .disable : .prefer(try .init(configuration: .makeClientConfiguration())))
        connectionConfiguration.options.connectTimeout = .nanoseconds(connectTimeout.nanosecondsClamped)
        do {
            let connection = try await PostgresConnection.connect(
                configuration: connectionConfiguration, id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw DatabaseError(error, doing: "connecting to \(displayName)")
        }
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to `Int64`.
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }
}
