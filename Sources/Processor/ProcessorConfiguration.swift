import Core
import Foundation
import Kafka

/// Settings of a ``BatchProcessor``. Defaults match the local stack and the Collector's topic.
public struct ProcessorConfiguration: Sendable {
    /// `host:port[,host:port…]` of the Kafka brokers.
    public var brokers: String
    /// TLS and SASL for the consumer and the dead-letter producer.
    public var security = KafkaSecurity()
    /// The consumer group every Processor instance joins; instances share the partitions.
    public var groupID = "replayd-processor"
    /// The topic the Collector produces accepted batches to.
    public var topic = "replay.batches"
    /// Where poison records and records that exhausted their retries go.
    public var deadLetterTopic = "replay.batches.dlq"
    /// Names this instance in logs and in the `dlq-instance` header; `hostname-pid` by default.
    public var instanceID = ProcessorConfiguration.defaultInstanceID
    /// How often a transiently failing record is tried in all before it is dead-lettered. With the
    /// default backoff (0.5 s doubling to 30 s, full jitter) 10 attempts span up to about 2.5 minutes
    /// of waiting (half that on average): a PostgreSQL restart or a short outage is ridden out.
    public var maxAttempts = 10
    /// The first retry waits up to this long (full jitter); each further retry doubles the cap.
    public var retryBaseDelay = Duration.milliseconds(500)
    /// No retry waits longer than this.
    public var retryMaxDelay = Duration.seconds(30)
    /// How often written records are made durable and their offsets stored and committed.
    public var commitInterval = Duration.milliseconds(500)
    /// Records written but not yet durable before the processor waits for durability regardless of
    /// ``commitInterval`` (bounds redelivery after a crash and the memory of the bookkeeping).
    public var maxUndurableRecords = 5_000
    /// Records taken from the consumer per poll (one hop to its poll thread; a batch never spans a
    /// rebalance).
    public var maxPollRecords = 500
    /// The consumer's `session.timeout.ms` (Tansu's group join takes half of it).
    public var sessionTimeout = Duration.seconds(10)
    /// The consumer's `max.poll.interval.ms`. The processor polls at least every 100 ms, even while
    /// every partition is paused for retries, so only a stalled spool can exceed it.
    public var maxPollInterval = Duration.seconds(300)
    /// How long a campaign id found (or not found) in PostgreSQL is remembered. A campaign known to
    /// exist is served past this age while PostgreSQL cannot be reached (stale, like the Collector's
    /// cache), so an outage dead-letters nothing that was flowing before it.
    public var campaignCacheTTL = Duration.seconds(60)
    /// On graceful stop (SIGTERM), how long the Processor waits for the segments holding its
    /// partitions' commit to reach S3 before it leaves the group (the next owner re-reads the rest).
    public var handoverTimeout = Duration.seconds(30)
    /// An instance with no partition for longer than this, in a group with no more members than the
    /// topic has partitions, reports itself stuck (log, `replayd_processor_assignment_stuck`, `/readyz`).
    public var assignmentWait = Duration.seconds(60)
    /// Batch validation limits. Event timestamps are checked against the record's `received-at`
    /// header, so records replayed days later still pass.
    public var limits = BatchLimits()
    /// Any further librdkafka consumer property.
    public var consumerExtra: [String: String] = [:]

    public init(brokers: String) {
        self.brokers = brokers
    }

    /// `hostname-pid`.
    public static var defaultInstanceID: String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// The consumer settings: explicit commits only (offsets are stored once their batches are in S3 and
    /// committed by the processor), earliest reset so a new group reads everything.
    public var consumerConfiguration: KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: brokers, groupID: groupID, topics: [topic])
        configuration.clientID = "replayd-processor-\(instanceID)"
        configuration.sessionTimeout = sessionTimeout
        configuration.maxPollInterval = max(maxPollInterval, sessionTimeout)
        configuration.enableAutoCommit = false
        configuration.autoOffsetReset = "earliest"
        configuration.extra = consumerExtra
        configuration.security = security
        return configuration
    }

    /// The dead-letter producer's settings: durable (idempotent, acks=all).
    public var producerConfiguration: KafkaProducerConfiguration {
        var configuration = KafkaProducerConfiguration(bootstrapServers: brokers)
        configuration.clientID = "replayd-processor-dlq-\(instanceID)"
        configuration.security = security
        return configuration
    }

    /// Throws a ``ReplaydError`` naming each inconsistent setting.
    public func validate() throws {
        var problems: [String] = []
        if maxAttempts < 1 { problems.append("maxAttempts must be at least 1") }
        if retryBaseDelay <= .zero { problems.append("retryBaseDelay must be positive") }
        if retryMaxDelay < retryBaseDelay { problems.append("retryMaxDelay must be at least retryBaseDelay") }
        if retryMaxDelay >= maxPollInterval {
            problems.append("retryMaxDelay must be below max.poll.interval (\(maxPollInterval))")
        }
        if topic == deadLetterTopic { problems.append("the dead-letter topic must differ from \(topic)") }
        if commitInterval <= .zero { problems.append("commitInterval must be positive") }
        if maxPollRecords < 1 { problems.append("maxPollRecords must be at least 1") }
        guard problems.isEmpty else {
            throw ReplaydError(code: "invalid_configuration",
                               message: "Processor configuration: " + problems.joined(separator: "; "))
        }
    }
}
