import ArgumentParser

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
        subcommands: [
            AllCommand.self,
            CollectorCommand.self,
            MigrateCommand.self,
            CampaignCommand.self,
            ConfigCommand.self,
            BenchCeilingCommand.self,
        ]
    )
}
