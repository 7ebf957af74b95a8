import ArgumentParser
import Foundation
import ReplaydKit

/// `replayd`: the session-replay ingestion service. One executable; each service is a subcommand,
/// `all` runs every service in one process for development.
@main
struct Replayd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replayd",
        abstract: "Session-replay ingestion for rrweb: collect, queue, spool, upload, play back.",
        discussion: """
            Configuration comes from REPLAYD_* and AWS_* environment variables; defaults match the \
            local stack (`scripts/stack up`, then `eval "$(scripts/stack env)"`).
            """,
        subcommands: services + administration
    )

    static func main() async {
        // A configuration error is reported by the command itself; here only the executor choice matters.
        let enabled = (try? ReplaydConfiguration.load())?.nioExecutor ?? true
        ConcurrencyExecutor.installIfSuitable(arguments: CommandLine.arguments, commands: ["collector"], enabled: enabled)
        await main(nil)
    }

    static var services: [any ParsableCommand.Type] {
        var commands: [any ParsableCommand.Type] = [AllCommand.self, CollectorCommand.self]
        commands.append(ProcessorCommand.self)
        return commands
    }

    static var administration: [any ParsableCommand.Type] {
        var commands: [any ParsableCommand.Type] = [MigrateCommand.self, CampaignCommand.self, TokenCommand.self, SessionsCommand.self]
        commands += [DeadLetterCommand.self, AuditCommand.self]
        commands.append(InstallsCommand.self)
        return commands + [S3Command.self, SpoolCommand.self, ConfigCommand.self]
    }
}
