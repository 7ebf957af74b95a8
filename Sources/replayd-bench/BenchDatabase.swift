import Database
import Logging
import PostgresNIO

/// A database of a benchmark's own beside the configured one (`<database>_<suffix>`), created when
/// missing and dropped after the run unless it is kept (a rerun then reuses what it seeded).
struct BenchDatabase: Sendable {
    let admin: DatabaseConfiguration
    let target: DatabaseConfiguration
    /// It was there before this run (seeded by an earlier, kept run).
    let existed: Bool

    static func open(_ configured: DatabaseConfiguration, suffix: String, logger: Logger) async throws -> BenchDatabase {
        var admin = configured
        admin.database = "postgres"
        var target = configured
        target.database = configured.database + "_" + suffix
        let name = target.database
        let existed = try await PostgresClient.withClient(admin, logger: logger) { client in
            var found = false
            for try await _ in try await client.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger) { found = true }
            if !found { try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""), logger: logger) }
            return found
        }
        return BenchDatabase(admin: admin, target: target, existed: existed)
    }

    func drop(logger: Logger) async throws {
        let name = target.database
        _ = try await PostgresClient.withClient(admin, logger: logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)"), logger: logger)
        }
    }
}
