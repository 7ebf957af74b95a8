import Collector
import HTTPSupport
import Core
import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Kafka
import Logging
import NIOCore
import PostgresNIO
import Redis
import StackTestSupport
import TestSupport

/// The real Collector over the real stack: Postgres (migrated), Redis, a fresh Kafka topic per test.
struct CollectorHarness: Sendable {
    let topic: String
    let postgres: PostgresClient
    let redis: RedisClient
    let producer: ResilientKafkaProducer
    let store: CampaignStore
    let configuration: CollectorConfiguration
    let logger: Logger

    static func run(
        configure: @Sendable (inout CollectorConfiguration) -> Void = { _ in },
        messageTimeout: Duration = .seconds(10),
        _ body: @Sendable (CollectorHarness) async throws -> Void
    ) async throws {
        let logger = Logger(label: "test.collector")
        let topic = TestStack.uniqueName("collector")
        let admin = StackFixtures.kafkaAdmin(logger: logger)
        try await admin.createTopic(topic, partitions: 1)
        var settings = CollectorConfiguration()
        settings.topic = topic
        configure(&settings)
        let configuration = settings
        var producerConfiguration = KafkaProducerConfiguration(bootstrapServers: TestStack.kafkaBrokers)
        producerConfiguration.messageTimeout = messageTimeout
        let producer = try ResilientKafkaProducer(configuration: producerConfiguration, logger: logger)
        let redis = StackFixtures.redisClient(logger: logger)
        do {
            try await StackFixtures.withMigratedDatabase(logger: logger) { postgres in
                let harness = CollectorHarness(
                    topic: topic, postgres: postgres, redis: redis, producer: producer,
                    store: CampaignStore(client: postgres, logger: logger), configuration: configuration, logger: logger)
                try await body(harness)
            }
        } catch {
            await producer.shutdown()
            redis.shutdown()
            try? await admin.deleteTopic(topic)
            throw error
        }
        await producer.shutdown()
        redis.shutdown()
        try? await admin.deleteTopic(topic)
    }

    func campaign(origins: [String] = ["https://shop.example.com", "https://*.example.org"],
                  sessionsPerHour: Int = 10_000, eventsPerSecond: Int = 100_000) async throws -> Campaign {
        var new = CampaignStore.NewCampaign(name: TestStack.uniqueName("campaign"), allowedOrigins: origins)
        new.sessionsPerHour = sessionsPerHour
        new.eventsPerSecond = eventsPerSecond
        return try await store.create(new)
    }

    func routes(configuration: CollectorConfiguration? = nil, limiterRedis: RedisClient? = nil) -> CollectorRoutes<IngestRequestContext> {
        let configuration = configuration ?? self.configuration
        let store = self.store
        let cache = CampaignCache(ttl: configuration.campaignCacheTTL, negativeTTL: configuration.negativeCacheTTL,
                                  capacity: configuration.campaignCacheCapacity) { try await store.find(publicKey: $0) }
        return CollectorRoutes(
            configuration: configuration, campaigns: cache,
            limiter: RateLimiter(redis: limiterRedis ?? redis, configuration: configuration, logger: logger),
            publisher: BatchPublisher(producer: producer, topic: topic))
    }

    func application(
        _ routes: CollectorRoutes<IngestRequestContext>? = nil, edge: HTTPEdgeConfiguration = .init(), counter: ConnectionCounter = .init()
    ) -> some ApplicationProtocol {
        let router = Router(context: IngestRequestContext.self)
        router.add(middleware: ContinueOnBodyReadMiddleware())
        (routes ?? self.routes()).register(on: router)
        // The server stack the service runs (`replayd collector`): Expect: 100-continue and early closes.
        return Application(router: router, server: .http1WithContinue(edge: edge, counter: counter),
                           configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
    }

    /// Records on the test topic, read from the beginning with a fresh group, waiting until `expected`
    /// arrived (or `wait` passed, for checks that nothing arrived).
    func records(expected: Int, wait: Duration = .seconds(15), settle: Duration? = nil) async throws -> [KafkaMessage] {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: TestStack.kafkaBrokers, groupID: TestStack.uniqueName("reader"), topics: [topic])
        configuration.sessionTimeout = .seconds(6)
        configuration.enableAutoCommit = false
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        var messages: [KafkaMessage] = []
        let deadline = ContinuousClock.now + wait
        var lastArrival = ContinuousClock.now
        while ContinuousClock.now < deadline, expected == 0 || messages.count < expected {
            if let message = try await consumer.poll(timeout: .milliseconds(200)) {
                messages.append(message)
                lastArrival = .now
            } else if let settle, !messages.isEmpty, ContinuousClock.now - lastArrival > settle {
                break
            }
        }
        await consumer.close()
        return messages
    }

    /// True when the topic holds no record at all (the high watermark is exact when nothing was written).
    func topicIsEmpty() async throws -> Bool {
        let admin = StackFixtures.kafkaAdmin(logger: logger)
        return try await admin.watermarks(topic: topic, partition: 0).high == 0
    }
}

/// Builds batch bodies from the real rrweb fixtures, with timestamps moved to now.
enum Fixtures {
    static var form: [[String: Any]] { load("form.json") }

    static func load(_ name: String) -> [[String: Any]] {
        let url = TestStack.fixturesDirectory.appendingPathComponent(name)
        guard let data = try? Data(contentsOf: url),
              let events = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return events
    }

    static func batch(key: String, session: String, seq: Int, events: [[String: Any]] = Array(form.prefix(20)),
                      url: String = "https://shop.example.com/checkout") -> ByteBuffer {
        let now = Date().timeIntervalSince1970 * 1000
        let first = (events.first?["timestamp"] as? Double) ?? now
        let shifted = events.map { event -> [String: Any] in
            var event = event
            event["timestamp"] = ((event["timestamp"] as? Double) ?? first) - first + now
            return event
        }
        let object: [String: Any] = ["key": key, "session": session, "seq": seq, "events": shifted,
                                     "page": ["url": url, "referrer": NSNull(), "width": 1280, "height": 800]]
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return ByteBuffer(bytes: data)
    }

    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
}

extension TestResponse {
    /// The `error.code` of a JSON error body.
    var errorCode: String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let error = object["error"] as? [String: Any] else { return nil }
        return error["code"] as? String
    }
    var errorMessage: String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let error = object["error"] as? [String: Any] else { return "" }
        return error["message"] as? String ?? ""
    }
}

let jsonHeaders: HTTPFields = [.contentType: "application/json"]
