import ArgumentParser
import Foundation
import ReplaydKit

/// `replayd-bench`: the benchmarks, apart from the service binary. Each measures its ceiling or
/// peer in the same run and prints the ratio; results and commands are in `docs/benchmarks.md`.
/// Configuration comes from the same `REPLAYD_*` variables as `replayd` (the local stack's defaults).
@main
struct ReplaydBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replayd-bench",
        abstract: "replayd's benchmarks: the Collector's HTTP ceiling, spool append, Processor throughput, session search, playback.",
        subcommands: [BenchCeilingCommand.self, BenchSpoolCommand.self, BenchProcessorCommand.self, BenchSearchCommand.self,
                      BenchPlaybackCommand.self]
    )

    static func main() async {
        let enabled = (try? ReplaydConfiguration.load())?.nioExecutor ?? true
        ConcurrencyExecutor.installIfSuitable(arguments: CommandLine.arguments, commands: ["ceiling"], enabled: enabled)
        await main(nil)
    }
}
