import ReplaydKit
import ArgumentParser
import Logging

/// `replayd all`: every component in one process (development, the demo, small installs).
struct AllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Run every component in one process: Collector, Processor + Uploader, Tracker, Playback.")

    func run() async throws {
        let config = try ReplaydConfiguration.load()
        Observability.bootstrap(logLevel: config.logLevel)
        let components = Set(Component.allCases)
        try await ServiceRuntime(configuration: config, components: components, logger: Logger(label: "replayd")).run()
    }
}
