import Core
import Logging
import PostgresNIO

/// Applies ``Schema/migrations`` (or any list) to a database: each pending migration in its own
/// transaction, recorded in `schema_migrations`. Safe to run concurrently from several processes
/// (a transaction-scoped advisory lock serialises them) and idempotent.
public struct Migrator: Sendable {
    /// Arbitrary constant identifying replayd's migration lock.
    static let advisoryLockKey: Int64 = 0x7265_706c_6179_64

    public let migrations: [Migration]
    let logger: Logger

    public init(migrations: [Migration] = Schema.migrations, logger: Logger) {
        precondition(Set(migrations.map(\.version)).count == migrations.count, "duplicate migration versions")
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// Applies every pending migration and returns the versions applied by this call.
    @discardableResult
    public func migrate(_ client: PostgresClient) async throws -> [Int] {
        do {
            // CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin (it can fail on the
            // catalog's unique index), so it runs under the same lock as the migrations.
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version    integer PRIMARY KEY,
                        name       text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """, logger: logger)
            }
            var applied: [Int] = []
            for migration in migrations {
                let ran = try await client.withTransaction(logger: logger) { connection in
                    try await connection.query("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))", logger: logger)
                    let rows = try await connection.query(
                        "SELECT 1 FROM schema_migrations WHERE version = \(migration.version)", logger: logger)
                    for try await _ in rows { return false }
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                        logger: logger)
                    return true
                }
                if ran {
                    logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                    applied.append(migration.version)
                }
            }
            return applied
        } catch {
            throw DatabaseError(error, doing: "applying migrations")
        }
    }

    /// Versions recorded as applied, ascending.
    public func appliedVersions(_ client: PostgresClient) async throws -> [Int] {
        do {
            let rows = try await client.query(
                "SELECT version FROM schema_migrations ORDER BY version", logger: logger)
            var versions: [Int] = []
            for try await version in rows.decode(Int.self) { versions.append(version) }
            return versions
        } catch {
            throw DatabaseError(error, doing: "reading schema_migrations (run `replayd migrate` first)")
        }
    }
}
