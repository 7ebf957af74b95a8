import ReplaydKit
import ArgumentParser
import Processor
import Logging

/// `replayd processor`: joins the consumer group on the batches topic and moves accepted batches
/// into the local spool, from which the uploader streams closed segments to S3. Run as many as
/// there are partitions to share; each needs its own spool directory (`REPLAYD_SPOOL_DIR`).
/// Serves `/healthz`, `/readyz` and `/metrics` on `REPLAYD_ADMIN_HTTP_HOST:REPLAYD_ADMIN_HTTP_PORT`
/// (and `/healthz` on `REPLAYD_HTTP_HOST:REPLAYD_HTTP_PORT`).
struct ProcessorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "processor",
        abstract: "Consume accepted batches into the spool and upload segments to S3 (scale out: run several).")

    @Option(help: "This instance's name in logs and dead-letter headers (default: REPLAYD_PROCESSOR_INSTANCE, else hostname-pid).")
    var instance: String?

    @Option(help: "Attempts in all for a transiently failing batch before it is dead-lettered (default: REPLAYD_PROCESSOR_MAX_ATTEMPTS, 10).")
    var maxAttempts: Int?

    func run() async throws {
        var config = try ReplaydConfiguration.load()
        if let instance { config.processor.instanceID = instance }
        if let maxAttempts { config.processor.maxAttempts = maxAttempts }
        Observability.bootstrap(logLevel: config.logLevel)
        try await ServiceRuntime(configuration: config, components: [.processor], logger: Logger(label: "replayd.processor")).run()
    }
}
