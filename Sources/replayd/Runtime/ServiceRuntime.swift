import ReplaydKit
import Collector
import HTTPSupport
import Core
import Database
import Foundation
import Hummingbird
import Kafka
import Logging
import Playback
import PostgresNIO
import Redis
import S3
import ServiceLifecycle
import UnixSignals
import Uploader
import Processor
import Tracker

/// The parts of replayd a process can run.
enum Component: String, CaseIterable, Sendable {
    case collector, processor, tracker, playback
}

/// Builds the clients a process shares between its components (one of each: PostgreSQL, Redis, S3,
/// Kafka admin) and runs them and the components in one `ServiceGroup` with graceful shutdown on
/// SIGTERM/SIGINT. Services stop in reverse order of start: the HTTP server stops accepting and
/// drains first; then the Kafka producer flushes; then the Processor finishes, stores and commits its
/// offsets and leaves the group; then the uploader closes the spool's segments and uploads them; the
/// clients close last.
struct ServiceRuntime: Sendable {
    let configuration: ReplaydConfiguration
    let logger: Logger
    let components: Set<Component>
    let postgres: PostgresClient
    let redis: RedisClient

    init(configuration: ReplaydConfiguration, components: Set<Component>, logger: Logger) {
        self.configuration = configuration
        self.components = components
        self.logger = logger
        postgres = PostgresClient(configuration: configuration.postgres.clientConfiguration, backgroundLogger: logger)
        redis = RedisClient(configuration: configuration.redis, logger: logger)
    }

    func run() async throws {
        // Clients first: the group stops services in reverse order, so they close after their users.
        var services: [any Service] = [postgres, redis]
        var checks: [ReadinessCheck] = [postgresCheck]
        let router = Router(context: IngestRequestContext.self)
        router.add(middleware: ContinueOnBodyReadMiddleware())
        let campaigns = campaignCache()
        // One client of each kind per process, shared by the components that need it.
        let s3 = components.contains(.processor) || components.contains(.playback) ? try configuration.makeS3Client(logger: logger) : nil
        if let s3 { services.append(s3) }
        var admin: KafkaAdminClient?
        if components.contains(.collector) || components.contains(.processor) {
            let client = try KafkaAdminClient(bootstrapServers: configuration.kafka.brokers, security: configuration.kafka.security,
                                              logger: logger)
            services.append(client)
            admin = client
            await ensureTopic(configuration.kafka.batchesTopic, partitions: configuration.kafka.partitions, admin: client)
        }

        if components.contains(.processor), let s3, let admin {
            let (uploader, processor) = try await processorServices(s3: s3, admin: admin)
            services += [uploader, processor,
                         SessionEnder(postgres: postgres, idle: configuration.uploader.sessionEndIdle, logger: logger)]
            checks += [kafkaCheck(admin), ReadinessCheck(name: "processor") {
                if let problem = processor.health.problem { throw ProcessorNotReady(message: problem) }
            }]
        }
        if components.contains(.tracker) {
            let tracker = InstallTracker(redis: redis, postgres: postgres, configuration: configuration.tracker, logger: logger)
            let tokens = AnalystTokenStore(client: postgres, logger: logger)
            TrackerRoutes(tracker: tracker, campaigns: campaigns) { header, campaign throws(APIError) in
                try await tokens.authorize(header, campaignID: campaign)
            }.register(on: router)
            services.append(tracker)
        }
        if components.contains(.playback), let s3 {
            PlaybackRoutes<IngestRequestContext>(
                configuration: configuration.playback, tokens: AnalystTokenStore(client: postgres, logger: logger),
                sessions: SessionStore(client: postgres, logger: logger), s3: s3, logger: logger
            ).register(on: router)
        }
        if components.contains(.collector), let admin {
            var producerConfiguration = KafkaProducerConfiguration(bootstrapServers: configuration.kafka.brokers)
            producerConfiguration.security = configuration.kafka.security
            producerConfiguration.messageTimeout = configuration.kafka.messageTimeout
            producerConfiguration.linger = configuration.kafka.linger
            producerConfiguration.compression = configuration.kafka.compression
            let producer = try ResilientKafkaProducer(configuration: producerConfiguration, logger: logger)
            CollectorRoutes(
                configuration: configuration.collector, campaigns: campaigns,
                limiter: RateLimiter(redis: redis, configuration: configuration.collector, logger: logger),
                publisher: BatchPublisher(producer: producer, topic: configuration.kafka.batchesTopic)
            ).register(on: router)
            services.append(producer)
            checks += [redisCheck, kafkaCheck(admin)]
        }

        OperationalRoutes.registerPublic(on: router)
        let operational = Router(context: BasicRequestContext.self)
        OperationalRoutes(checks: Self.unique(checks), registry: Observability.registry).register(on: operational)
        services.append(Application(
            router: operational,
            configuration: .init(address: .hostname(configuration.http.adminHost, port: configuration.http.adminPort), serverName: "replayd-admin"),
            logger: logger))
        services.append(Application(
            router: router,
            server: .http1WithContinue(edge: configuration.http.edge),
            configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "replayd"),
            logger: logger))

        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        logger.info("replayd starting", metadata: [
            "components": "\(components.map(\.rawValue).sorted().joined(separator: ","))",
            "http": "\(configuration.http.host):\(configuration.http.port)",
            "admin_http": "\(configuration.http.adminHost):\(configuration.http.adminPort)",
        ])
        try await group.run()
    }

    /// Spool, segment uploader and the consumer-group processor.
    private func processorServices(s3: S3Client, admin: KafkaAdminClient) async throws -> (SegmentUploader, BatchProcessor) {
        let spool = try Spool(configuration: configuration.spool, logger: logger)
        let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres, configuration: configuration.uploader,
                                       logger: logger)
        let processorConfiguration = configuration.processor
        try processorConfiguration.validate()
        await ensureTopic(configuration.kafka.deadLetterTopic, partitions: 1, admin: admin)
        let campaigns = CampaignDirectory(store: CampaignStore(client: postgres, logger: logger),
                                          ttl: processorConfiguration.campaignCacheTTL)
        let processor = BatchProcessor(configuration: processorConfiguration, spool: spool, campaigns: campaigns, logger: logger,
                                       inspector: admin)
        return (uploader, processor)
    }

    /// Creates `topic` when the brokers do not have it (best effort: with the brokers down, the
    /// readiness check reports it and producing answers 503 until they are back).
    private func ensureTopic(_ topic: String, partitions: Int32, admin: KafkaAdminClient) async {
        guard (try? await admin.partitionCount(topic: topic)) == nil else { return }
        do {
            try await admin.createTopic(topic, partitions: partitions, replicationFactor: configuration.kafka.replicationFactor,
                                        config: configuration.kafka.topicConfig)
            logger.notice("created Kafka topic", metadata: ["topic": "\(topic)", "partitions": "\(partitions)"])
        } catch {
            logger.warning("could not create Kafka topic \(topic): \(error)")
        }
    }

    private func campaignCache() -> CampaignCache {
        let store = CampaignStore(client: postgres, logger: logger)
        let collector = configuration.collector
        let timeout = collector.campaignLoadTimeout
        return CampaignCache(ttl: collector.campaignCacheTTL, negativeTTL: collector.negativeCacheTTL,
                             capacity: collector.campaignCacheCapacity) { key in
            try await withPostgresDeadline(timeout, doing: "looking up a campaign key") { try await store.find(publicKey: key) }
        }
    }

    private var postgresCheck: ReadinessCheck {
        let postgres = postgres, logger = logger
        return ReadinessCheck(name: "postgres") {
            do { try await postgres.query("SELECT 1", logger: logger) } catch {
                throw DatabaseError(error, doing: "checking readiness")
            }
        }
    }

    private var redisCheck: ReadinessCheck {
        let redis = redis
        return ReadinessCheck(name: "redis") { try await redis.ping() }
    }

    private func kafkaCheck(_ admin: KafkaAdminClient) -> ReadinessCheck {
        let topic = configuration.kafka.batchesTopic
        return ReadinessCheck(name: "kafka") { _ = try await admin.partitionCount(topic: topic) }
    }

    private static func unique(_ checks: [ReadinessCheck]) -> [ReadinessCheck] {
        var seen = Set<String>()
        return checks.filter { seen.insert($0.name).inserted }
    }
}

/// `/readyz`'s answer for a Processor that is stuck without partitions or over its disk budget.
struct ProcessorNotReady: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
