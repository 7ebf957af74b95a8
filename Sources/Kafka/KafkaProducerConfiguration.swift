/// Producer settings. Defaults are durable (idempotent, `acks=all`) and sized so that a 16 MiB record
/// fits (`message.max.bytes` 20,000,000). ``extra`` passes any other librdkafka property and wins over
/// the typed fields.
public struct KafkaProducerConfiguration: Sendable {
    public var bootstrapServers: String
    public var clientID = "replayd"
    public var acks = "all"
    public var enableIdempotence = true
    public var linger = Duration.milliseconds(5)
    /// `compression.codec`: none, gzip, snappy, lz4 or zstd.
    public var compression = "lz4"
    public var messageMaxBytes = 20_000_000
    /// How long a record may wait for acknowledgement, including retries, before `send` fails with
    /// ``KafkaError/Kind/messageTimedOut``. Also bounds the flush in ``KafkaProducer/shutdown()``.
    public var messageTimeout = Duration.seconds(30)
    public var queueMaxMessages = 100_000
    public var queueMaxKBytes = 1_048_576
    /// Any librdkafka property (see librdkafka's CONFIGURATION.md), applied last.
    public var extra: [String: String] = [:]
    /// TLS and SASL.
    public var security = KafkaSecurity()

    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
    }

    var properties: [(String, String)] {
        [
            ("bootstrap.servers", bootstrapServers),
            ("client.id", clientID),
            ("acks", acks),
            ("enable.idempotence", enableIdempotence ? "true" : "false"),
            ("linger.ms", String(linger.rdkafkaMilliseconds)),
            ("compression.codec", compression),
            ("message.max.bytes", String(messageMaxBytes)),
            ("message.timeout.ms", String(messageTimeout.rdkafkaMilliseconds)),
            ("queue.buffering.max.messages", String(queueMaxMessages)),
            ("queue.buffering.max.kbytes", String(queueMaxKBytes)),
        ] + security.properties + extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
