/// Consumer-group settings. Offsets are committed only after the application stored them with
/// ``KafkaConsumer/storeOffset(_:)``: `enable.auto.offset.store` is always false, whatever ``extra``
/// says, and ``enableAutoCommit`` commits the stored offsets every ``autoCommitInterval``.
public struct KafkaConsumerConfiguration: Sendable {
    public var bootstrapServers: String
    public var groupID: String
    public var topics: [String]
    public var clientID = "replayd"
    public var sessionTimeout = Duration.seconds(45)
    public var maxPollInterval = Duration.seconds(300)
    public var autoOffsetReset = "earliest"
    public var enableAutoCommit = true
    public var autoCommitInterval = Duration.seconds(1)
    /// Large enough for a 16 MiB record.
    public var maxPartitionFetchBytes = 20_000_000
    public var fetchMaxBytes = 52_428_800
    /// Any librdkafka property (see librdkafka's CONFIGURATION.md), applied after the typed fields;
    /// e.g. `partition.assignment.strategy=cooperative-sticky`.
    public var extra: [String: String] = [:]
    /// TLS and SASL.
    public var security = KafkaSecurity()

    public init(bootstrapServers: String, groupID: String, topics: [String]) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
        self.topics = topics
    }

    var properties: [(String, String)] {
        [
            ("bootstrap.servers", bootstrapServers),
            ("group.id", groupID),
            ("client.id", clientID),
            ("session.timeout.ms", String(sessionTimeout.rdkafkaMilliseconds)),
            ("max.poll.interval.ms", String(maxPollInterval.rdkafkaMilliseconds)),
            ("auto.offset.reset", autoOffsetReset),
            ("enable.auto.commit", enableAutoCommit ? "true" : "false"),
            ("auto.commit.interval.ms", String(autoCommitInterval.rdkafkaMilliseconds)),
            ("max.partition.fetch.bytes", String(maxPartitionFetchBytes)),
            ("fetch.max.bytes", String(fetchMaxBytes)),
        ]
            + security.properties
            + extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            + [("enable.auto.offset.store", "false")]
    }
}
