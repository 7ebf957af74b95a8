import ArgumentParser
import Database
import Redis

/// `replayd config`: validates the environment and prints the effective settings (secrets masked).
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Validate the configuration and print the effective settings.")

    func run() async throws {
        let c = try ReplaydConfiguration.load()
        let lines = [
            "http          \(c.http.host):\(c.http.port)",
            "log level     \(c.logLevel)",
            "postgres      \(c.postgres.displayName) (max \(c.postgres.maximumConnections) connections)",
            "redis         \(c.redis.host):\(c.redis.port) db \(c.redis.database) (pool \(c.redis.poolSize))",
            "kafka         \(c.kafka.brokers) topic \(c.kafka.batchesTopic), dlq \(c.kafka.deadLetterTopic), group \(c.kafka.processorGroup)",
            "s3            \(c.s3.endpoint) bucket \(c.s3.bucket) region \(c.s3.region) path-style \(c.s3.pathStyle)",
            "s3 key        \(c.s3.accessKeyID.map { String($0.prefix(4)) + "…" } ?? "(unset)")",
            "spool         \(c.spoolDirectory)",
            "rrweb assets  \(c.rrwebAssetsDirectory ?? "(unset)")",
        ]
        print(lines.joined(separator: "\n"))
    }
}
