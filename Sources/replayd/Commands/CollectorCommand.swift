import ArgumentParser
import Logging

/// `replayd collector`: the ingest HTTP service alone (`/v1/batch`, `/snippet.js`, health, metrics).
/// Stateless: run as many as needed behind any load balancer.
struct CollectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collector", abstract: "Run the Collector (HTTP ingest into Kafka).")

    func run() async throws {
        let config = try ReplaydConfiguration.load()
        Observability.bootstrap(logLevel: config.logLevel)
        let logger = Logger(label: "replayd.collector")
        let runtime = try await ServiceRuntime(configuration: config, logger: logger)
        try await runtime.run(http: true)
    }
}
