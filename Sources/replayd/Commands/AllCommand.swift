import ArgumentParser
import Hummingbird
import Logging
import ServiceLifecycle

/// `replayd all`: every service in one process, for development and the demo.
struct AllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Run every service in one process (development).")

    func run() async throws {
        let config = try ReplaydConfiguration.load()
        Observability.bootstrap(logLevel: config.logLevel)
        let logger = Logger(label: "replayd")
        let runtime = try await ServiceRuntime(configuration: config, logger: logger)
        try await runtime.run(http: true)
    }
}
