import ReplaydKit
import ArgumentParser
import Logging

/// `replayd collector`: the ingest HTTP service (`/v1/batch`, `/snippet.js`, `/v1/install`, health,
/// metrics). Stateless: run as many as needed behind any load balancer.
struct CollectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collector", abstract: "Run the Collector (HTTP ingest into Kafka) and the install tracker.")

    @Flag(help: "Also serve the playback API and pages.") var playback = false

    func run() async throws {
        let config = try ReplaydConfiguration.load()
        Observability.bootstrap(logLevel: config.logLevel)
        var components: Set<Component> = [.collector]
        components.insert(.tracker)
        if playback { components.insert(.playback) }
        try await ServiceRuntime(configuration: config, components: components, logger: Logger(label: "replayd.collector")).run()
    }
}
