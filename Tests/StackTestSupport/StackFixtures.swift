import Database
import Kafka
import Logging
import PostgresNIO
import Redis
import S3
import TestSupport

/// Clients for the local stack (`scripts/stack up`) that the integration suites share, built in one
/// place: PostgreSQL with the schema migrated, S3 against SeaweedFS with short retry delays, Redis
/// with short timeouts, and a Kafka admin.
public enum StackFixtures {
    /// Runs `body` with a client of the stack's PostgreSQL (or `database` on the same server), the
    /// schema migrated.
    public static func withMigratedDatabase<T: Sendable>(
        _ database: String? = nil, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        var configuration = try DatabaseConfiguration(url: TestStack.postgresURL)
        if let database { configuration.database = database }
        return try await PostgresClient.withClient(configuration, logger: logger) { client in
            _ = try await Migrator(logger: logger).migrate(client)
            return try await body(client)
        }
    }

    /// Creates `name` on the stack's PostgreSQL server once (concurrent creators are fine).
    public static func createDatabase(_ name: String, logger: Logger) async throws {
        try await PostgresClient.withClient(try DatabaseConfiguration(url: TestStack.postgresURL), logger: logger) { client in
            let rows = try await client.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
            for try await _ in rows { return }
            do {
                try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            } catch let error as PSQLError where ["42P04", "23505"].contains(error.serverInfo?[.sqlState] ?? "") {
                // created concurrently
            }
        }
    }

    /// The S3 configuration of the stack's bucket, with retries quick enough for tests.
    public static func s3Configuration(endpoint: String = TestStack.s3Endpoint, _ adjust: (inout S3Configuration) -> Void = { _ in }) -> S3Configuration {
        var configuration = S3Configuration(endpoint: endpoint, region: "us-east-1", bucket: TestStack.s3Bucket, pathStyle: true)
        configuration.baseRetryDelay = .milliseconds(20)
        configuration.maxRetryDelay = .milliseconds(200)
        adjust(&configuration)
        return configuration
    }

    /// An S3 client of the stack's bucket (`secret` lets a test sign with a wrong key).
    public static func s3Client(
        endpoint: String = TestStack.s3Endpoint, secret: String = TestStack.secretKey, logger: Logger,
        _ adjust: (inout S3Configuration) -> Void = { _ in }
    ) -> S3Client {
        S3Client(configuration: s3Configuration(endpoint: endpoint, adjust),
                 credentials: AWSCredentials(accessKeyID: TestStack.accessKey, secretAccessKey: secret), logger: logger)
    }

    /// A Redis client of the stack's server with 500 ms command and connect timeouts.
    public static func redisClient(logger: Logger, _ adjust: (inout RedisConfiguration) -> Void = { _ in }) -> RedisClient {
        var configuration = RedisConfiguration(host: TestStack.redisHost, port: TestStack.redisPort)
        configuration.commandTimeout = .milliseconds(500)
        configuration.connectTimeout = .milliseconds(500)
        adjust(&configuration)
        return RedisClient(configuration: configuration, logger: logger)
    }

    /// A short-lived admin of the stack's broker.
    public static func kafkaAdmin(logger: Logger) -> KafkaAdmin {
        KafkaAdmin(bootstrapServers: TestStack.kafkaBrokers, logger: logger)
    }
}
