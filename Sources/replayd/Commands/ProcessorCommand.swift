import ArgumentParser
import Database
import Foundation
import Hummingbird
import Kafka
import Logging
import PostgresNIO
import Processor
import S3
import ServiceLifecycle
import Uploader

/// `replayd processor`: joins the consumer group on the batches topic and moves accepted batches
/// into the local spool, from which the uploader streams closed segments to S3. Run as many as
/// there are partitions to share; each needs its own spool directory.
struct ProcessorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "processor",
        abstract: "Consume accepted batches into the spool and upload segments to S3 (scale out: run several).")

    @Option(help: "This instance's name in logs and dead-letter headers (default: hostname-pid).")
    var instance: String?

    @Option(help: "Attempts in all for a transiently failing batch before it is dead-lettered.")
    var maxAttempts = 5

    @Flag(help: "Serve /healthz, /readyz and /metrics on REPLAYD_HTTP_HOST:REPLAYD_HTTP_PORT.")
    var http = false

    func run() async throws {
        let config = try ReplaydConfiguration.load()
        try config.requireS3Credentials()
        Observability.bootstrap(logLevel: config.logLevel)
        let logger = Logger(label: "replayd.processor")

        var processorConfiguration = ProcessorConfiguration(brokers: config.kafka.brokers)
        processorConfiguration.topic = config.kafka.batchesTopic
        processorConfiguration.deadLetterTopic = config.kafka.deadLetterTopic
        processorConfiguration.groupID = config.kafka.processorGroup
        processorConfiguration.sessionTimeout = config.kafka.sessionTimeout
        processorConfiguration.maxAttempts = maxAttempts
        if let instance { processorConfiguration.instanceID = instance }
        try processorConfiguration.validate()

        // The dead-letter topic must exist before the first dead letter; an existing one is fine.
        let admin = KafkaAdmin(bootstrapServers: config.kafka.brokers, logger: logger)
        if (try? await admin.partitionCount(topic: config.kafka.deadLetterTopic)) == nil {
            try? await admin.createTopic(config.kafka.deadLetterTopic, partitions: 1)
        }

        let postgres = PostgresClient(configuration: config.postgres.clientConfiguration, backgroundLogger: logger)
        let spool = try Spool(configuration: SpoolConfiguration(directory: config.spoolDirectory), logger: logger)
        var s3Configuration = S3Configuration(endpoint: config.s3.endpoint, region: config.s3.region, bucket: config.s3.bucket,
                                              pathStyle: config.s3.pathStyle)
        s3Configuration.maxAttempts = 5
        let s3 = S3Client(
            configuration: s3Configuration,
            credentials: AWSCredentials(accessKeyID: config.s3.accessKeyID ?? "", secretAccessKey: config.s3.secretAccessKey ?? "",
                                        sessionToken: config.s3.sessionToken),
            logger: logger)
        let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres, configuration: SegmentUploaderConfiguration(), logger: logger)
        let campaigns = CampaignDirectory(store: CampaignStore(client: postgres, logger: logger), ttl: processorConfiguration.campaignCacheTTL)
        let processor = BatchProcessor(configuration: processorConfiguration, spool: spool, campaigns: campaigns, logger: logger)

        // Shut down in reverse: HTTP, then the processor (durable, committed, group left), then the
        // uploader (closes the spool's segments and uploads them), then the Postgres pool.
        var services: [any Service] = [postgres, uploader, processor]
        if http {
            let router = Router(context: BasicRequestContext.self)
            let checks = [
                ReadinessCheck(name: "postgres") {
                    do { try await postgres.query("SELECT 1", logger: logger) } catch { throw DatabaseError(error, doing: "checking readiness") }
                },
                ReadinessCheck(name: "kafka") { _ = try await admin.partitionCount(topic: config.kafka.batchesTopic) },
            ]
            OperationalRoutes(checks: checks, registry: Observability.registry).register(on: router)
            services.append(Application(
                router: router,
                configuration: .init(address: .hostname(config.http.host, port: config.http.port), serverName: "replayd-processor"),
                logger: logger))
        }
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
