import ReplaydKit
import ArgumentParser
import Database
import Logging
import PostgresNIO

/// `replayd migrate`: applies pending schema migrations (idempotent, safe to run concurrently).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply pending PostgreSQL schema migrations.")

    func run() async throws {
        let config = try ReplaydConfiguration.load()
        Observability.bootstrap(logLevel: config.logLevel)
        let logger = Logger(label: "replayd.migrate")
        let applied = try await PostgresClient.withClient(config.postgres, logger: logger) { client in
            try await Migrator(logger: logger).migrate(client)
        }
        if applied.isEmpty {
            print("schema is up to date (\(config.postgres.displayName))")
        } else {
            print("applied migrations \(applied.map(String.init).joined(separator: ", ")) to \(config.postgres.displayName)")
        }
    }
}
