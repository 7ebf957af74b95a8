import Database
import Foundation
import Logging
import PostgresNIO
import TestSupport
import Testing

@Suite("Migrations against a real PostgreSQL")
struct MigratorTests {
    let logger = Logger(label: "test.migrations")

    /// Creates an empty database, runs `body` against it, drops it.
    func withEmptyDatabase(_ body: @Sendable (DatabaseConfiguration) async throws -> Void) async throws {
        let base = try DatabaseConfiguration(url: TestStack.postgresURL)
        let name = "replayd_test_\(UInt32.random(in: 0...UInt32.max))"
        var admin = base
        admin.database = "postgres"
        _ = try await PostgresClient.withClient(admin, logger: logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        var target = base
        target.database = name
        do {
            try await body(target)
        } catch {
            try? await dropDatabase(name, admin: admin)
            throw error
        }
        try await dropDatabase(name, admin: admin)
    }

    func dropDatabase(_ name: String, admin: DatabaseConfiguration) async throws {
        _ = try await PostgresClient.withClient(admin, logger: logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }

    @Test("apply to an empty database, then again as a no-op")
    func appliesAndIsIdempotent() async throws {
        try await withEmptyDatabase { configuration in
            let migrator = Migrator(logger: logger)
            let expected = Schema.migrations.map(\.version).sorted()
            _ = try await PostgresClient.withClient(configuration, logger: logger) { client in
                #expect(try await migrator.migrate(client) == expected)
                #expect(try await migrator.migrate(client) == [])
                #expect(try await migrator.appliedVersions(client) == expected)
                // the tables exist and are usable
                let rows = try await client.query(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('campaigns','sessions','segments','sites','site_days','analyst_tokens')",
                    logger: logger)
                var count = 0
                for try await n in rows.decode(Int.self) { count = n }
                #expect(count == 6)
            }
        }
    }

    @Test("two migrators racing apply each migration exactly once")
    func concurrentMigratorsDoNotCollide() async throws {
        try await withEmptyDatabase { configuration in
            let logger = self.logger
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await PostgresClient.withClient(configuration, logger: logger) { client in
                            try await Migrator(logger: logger).migrate(client)
                        }
                    }
                }
                var all: [Int] = []
                for try await versions in group { all += versions }
                return all.sorted()
            }
            #expect(applied == Schema.migrations.map(\.version).sorted())
        }
    }

    @Test("an unreachable server gives an actionable error")
    func unreachableServer() async throws {
        var configuration = try DatabaseConfiguration(url: "postgres://postgres@127.0.0.1:1/replayd")
        configuration.connectTimeout = .seconds(2)
        let logger = self.logger
        let clock = ContinuousClock()
        let started = clock.now
        do {
            _ = try await PostgresClient.withClient(configuration, logger: logger) { client in
                try await Migrator(logger: logger).migrate(client)
            }
            Issue.record("expected an error")
        } catch let error as DatabaseError {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("127.0.0.1:1/replayd"))
            #expect(error.message.contains("REPLAYD_POSTGRES_URL"))
        }
        #expect(clock.now - started < .seconds(3))
    }

    @Test("bad URLs name the variable")
    func badURL() {
        #expect(throws: (any Error).self) { try DatabaseConfiguration(url: "mysql://x/y") }
        do {
            _ = try DatabaseConfiguration(url: "nonsense", variable: "REPLAYD_POSTGRES_URL")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("REPLAYD_POSTGRES_URL"))
        }
    }
}
