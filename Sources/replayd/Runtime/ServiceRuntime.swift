import Collector
import Core
import Database
import Hummingbird
import Kafka
import Logging
import PostgresNIO
import Redis
import ServiceLifecycle
import UnixSignals

/// The long-lived clients a process shares between its services, and the `ServiceGroup` that runs
/// them with graceful shutdown on SIGTERM/SIGINT: the HTTP server stops accepting and drains first,
/// then the Kafka producer flushes, then the pools close.
struct ServiceRuntime: Sendable {
    let configuration: ReplaydConfiguration
    let logger: Logger
    let postgres: PostgresClient
    let redis: RedisClient
    let producer: ResilientKafkaProducer

    init(configuration: ReplaydConfiguration, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        postgres = PostgresClient(configuration: configuration.postgres.clientConfiguration, backgroundLogger: logger)
        redis = RedisClient(configuration: configuration.redis, logger: logger)
        var producerConfiguration = KafkaProducerConfiguration(bootstrapServers: configuration.kafka.brokers)
        producerConfiguration.messageTimeout = configuration.kafka.messageTimeout
        producer = try ResilientKafkaProducer(configuration: producerConfiguration, logger: logger)
    }

    var readinessChecks: [ReadinessCheck] {
        let postgres = postgres, redis = redis, logger = logger, configuration = configuration
        return [
            ReadinessCheck(name: "postgres") {
                do { try await postgres.query("SELECT 1", logger: logger) } catch {
                    throw DatabaseError(error, doing: "checking readiness")
                }
            },
            ReadinessCheck(name: "redis") { try await redis.ping() },
            ReadinessCheck(name: "kafka") {
                let admin = KafkaAdmin(bootstrapServers: configuration.kafka.brokers, logger: logger)
                _ = try await admin.partitionCount(topic: configuration.kafka.batchesTopic)
            },
        ]
    }

    func collectorRoutes() -> CollectorRoutes<IngestRequestContext> {
        let store = CampaignStore(client: postgres, logger: logger)
        let collector = configuration.collector
        let cache = CampaignCache(ttl: collector.campaignCacheTTL, negativeTTL: collector.negativeCacheTTL,
                                  capacity: collector.campaignCacheCapacity) { key in
            try await store.find(publicKey: key)
        }
        return CollectorRoutes(
            configuration: collector, campaigns: cache,
            limiter: RateLimiter(redis: redis, configuration: collector, logger: logger),
            publisher: BatchPublisher(producer: producer, topic: configuration.kafka.batchesTopic))
    }

    /// Builds the HTTP application (when `http`) and runs every service until a shutdown signal.
    func run(http: Bool) async throws {
        // ServiceGroup shuts services down in reverse order: the HTTP server stops accepting and
        // drains first, then the producer flushes what it accepted, then the Postgres pool closes.
        var services: [any Service] = [postgres, producer]
        if http {
            let router = Router(context: IngestRequestContext.self)
            OperationalRoutes(checks: readinessChecks, registry: Observability.registry).register(on: router)
            collectorRoutes().register(on: router)
            let app = Application(
                router: router,
                configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port),
                                     serverName: "replayd"),
                logger: logger)
            services.append(app)
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        defer { redis.shutdown() }
        try await group.run()
    }
}
