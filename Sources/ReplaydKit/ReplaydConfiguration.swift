import Collector
import Core
import Database
import Foundation
import HTTPSupport
import Kafka
import Logging
import Playback
import Processor
import Redis
import S3
import Tracker
import Uploader

/// Everything `replayd` can be told, loaded from the environment in one place (``load(from:)``),
/// validated once at start-up. Defaults match the local stack that `scripts/stack up` starts.
/// `docs/configuration` in the README lists every variable.
public struct ReplaydConfiguration: Sendable {
    public struct HTTP: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// The operational listener (`/metrics`, `/readyz`, `/healthz`), apart from the public one.
        public var adminHost = "127.0.0.1"
        public var adminPort = 9464
        /// Idle and body deadlines and the connection cap of the public listener.
        public var edge = HTTPEdgeConfiguration()
    }

    public struct KafkaSettings: Sendable {
        public var brokers = "127.0.0.1:19092"
        public var batchesTopic = "replay.batches"
        public var deadLetterTopic = "replay.batches.dlq"
        public var processorGroup = "replayd-processor"
        public var messageTimeout: Duration = .seconds(10)
        public var sessionTimeout: Duration = .seconds(10)
        /// The Collector's producer: how long a record may wait to share a request with others, and
        /// the compression of those requests.
        public var linger: Duration = .milliseconds(5)
        /// Partitions of the batches topic when replayd creates it (Processors scale up to this).
        public var partitions: Int32 = 8
        public var compression = "lz4"
        /// TLS and SASL of every Kafka client (`REPLAYD_KAFKA_SECURITY_PROTOCOL`, `REPLAYD_KAFKA_SASL_*`, `REPLAYD_KAFKA_SSL_*`).
        public var security = KafkaSecurity()
        /// The topics replayd creates (when missing): replication factor, `min.insync.replicas` and
        /// `retention.ms` (nil: the broker's default). Production: 3, 2 and a retention that covers
        /// `REPLAYD_COMMIT_MAX_DELAY` plus the longest outage to ride out (docs/deployment.md).
        public var replicationFactor: Int16 = 1
        public var minInsyncReplicas: Int?
        public var retention: Duration?

        /// Topic-level settings for topics replayd creates.
        public var topicConfig: [(String, String)] {
            var config: [(String, String)] = []
            if let minInsyncReplicas { config.append(("min.insync.replicas", String(minInsyncReplicas))) }
            if let retention { config.append(("retention.ms", String(retention.components.seconds * 1000))) }
            return config
        }
    }

    public struct S3: Sendable {
        public var endpoint = "http://127.0.0.1:18333"
        public var region = "us-east-1"
        public var bucket = "replayd-sessions"
        public var pathStyle = true
        public var credentials: AWSCredentials?
    }

    public var http = HTTP()
    public var logLevel: Logger.Level = .info
    public var postgres = DatabaseConfiguration()
    public var redis = RedisConfiguration(host: "127.0.0.1", port: 16379)
    public var kafka = KafkaSettings()
    public var s3 = S3()
    /// Events per batch and timestamp skew: one setting for the Collector and the Processor.
    public var limits = BatchLimits()
    public var collector = CollectorConfiguration()
    public var processor = ProcessorConfiguration(brokers: KafkaSettings().brokers)
    public var spool = SpoolConfiguration(directory: ".stack/spool")
    public var uploader = SegmentUploaderConfiguration()
    public var tracker = TrackerConfiguration()
    public var playback = PlaybackConfiguration()
    public var s3PartSize = 8 << 20
    /// An S3 request that moves less than 1 KiB/s for this long fails (and is retried): a hung S3
    /// endpoint is noticed instead of holding an upload slot.
    public var s3StallTimeout: Duration = .seconds(30)
    /// Public base URL of this service, for printed links.
    public var publicURL: String?
    /// Swift Concurrency's jobs on NIO's event loops for the HTTP-only commands (`REPLAYD_NIO_EXECUTOR`;
    /// see ``ConcurrencyExecutor``).
    public var nioExecutor = true

    /// Reads every `REPLAYD_*` and `AWS_*` variable; throws one error naming each bad variable.
    public static func load(from environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Self {
        var reader = EnvironmentReader(environment)
        var config = Self()

        config.http.host = reader.string("REPLAYD_HTTP_HOST", default: config.http.host)
        config.http.port = reader.int("REPLAYD_HTTP_PORT", default: config.http.port, range: 0...65535)
        config.http.adminHost = reader.string("REPLAYD_ADMIN_HTTP_HOST", default: config.http.adminHost)
        config.http.adminPort = reader.int("REPLAYD_ADMIN_HTTP_PORT", default: config.http.adminPort, range: 0...65535)
        config.http.edge.idleTimeout = reader.duration(
            "REPLAYD_HTTP_IDLE_TIMEOUT", default: config.http.edge.idleTimeout, minimum: .milliseconds(100))
        config.http.edge.bodyTimeout = reader.duration(
            "REPLAYD_HTTP_BODY_TIMEOUT", default: config.http.edge.bodyTimeout, minimum: .milliseconds(100))
        config.http.edge.maxConnections = reader.int(
            "REPLAYD_HTTP_MAX_CONNECTIONS", default: config.http.edge.maxConnections, range: 1...1_000_000)
        if config.http.adminPort != 0, config.http.adminPort == config.http.port, config.http.adminHost == config.http.host {
            reader.problem("REPLAYD_ADMIN_HTTP_PORT=\(config.http.adminPort) is REPLAYD_HTTP_PORT too; give the operational listener a port of its own")
        }
        let level = reader.choice("REPLAYD_LOG_LEVEL", default: "info",
                                  in: Logger.Level.allCases.map(\.rawValue))
        config.logLevel = Logger.Level(rawValue: level) ?? .info

        if let url = reader.raw("REPLAYD_POSTGRES_URL") {
            do { config.postgres = try DatabaseConfiguration(url: url) } catch { reader.problem("\(error)") }
        }
        config.postgres.maximumConnections = reader.int(
            "REPLAYD_POSTGRES_MAX_CONNECTIONS", default: config.postgres.maximumConnections, range: 1...1000)

        if let url = reader.raw("REPLAYD_REDIS_URL") {
            do { config.redis = try RedisConfiguration(url: url) } catch { reader.problem("REPLAYD_REDIS_URL: \(error)") }
        }
        config.redis.poolSize = reader.int("REPLAYD_REDIS_POOL_SIZE", default: config.redis.poolSize, range: 1...256)
        config.redis.commandTimeout = reader.duration(
            "REPLAYD_REDIS_TIMEOUT", default: config.redis.commandTimeout, minimum: .milliseconds(10))

        config.kafka.brokers = reader.string("REPLAYD_KAFKA_BROKERS", default: config.kafka.brokers)
        config.kafka.batchesTopic = reader.string("REPLAYD_KAFKA_TOPIC", default: config.kafka.batchesTopic)
        config.kafka.deadLetterTopic = reader.string("REPLAYD_KAFKA_DLQ_TOPIC", default: config.kafka.deadLetterTopic)
        config.kafka.processorGroup = reader.string("REPLAYD_KAFKA_GROUP", default: config.kafka.processorGroup)
        config.kafka.messageTimeout = reader.duration(
            "REPLAYD_KAFKA_MESSAGE_TIMEOUT", default: config.kafka.messageTimeout, minimum: .milliseconds(100))
        config.kafka.sessionTimeout = reader.duration(
            "REPLAYD_KAFKA_SESSION_TIMEOUT", default: config.kafka.sessionTimeout, minimum: .seconds(1))
        config.kafka.partitions = Int32(reader.int("REPLAYD_KAFKA_PARTITIONS", default: Int(config.kafka.partitions), range: 1...10_000))
        config.kafka.linger = reader.duration("REPLAYD_KAFKA_LINGER", default: config.kafka.linger)
        if config.kafka.linger > .seconds(1) { reader.problem("REPLAYD_KAFKA_LINGER must be at most 1s (every batch waits for it)") }
        config.kafka.compression = reader.string("REPLAYD_KAFKA_COMPRESSION", default: config.kafka.compression)
        if !["none", "gzip", "snappy", "lz4", "zstd"].contains(config.kafka.compression) {
            reader.problem("REPLAYD_KAFKA_COMPRESSION=\(config.kafka.compression) must be one of none, gzip, snappy, lz4, zstd")
        }
        config.kafka.security.securityProtocol = reader.raw("REPLAYD_KAFKA_SECURITY_PROTOCOL")?.lowercased()
        if let value = config.kafka.security.securityProtocol, !["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"].contains(value) {
            reader.problem("REPLAYD_KAFKA_SECURITY_PROTOCOL=\(value) must be one of plaintext, ssl, sasl_plaintext, sasl_ssl")
        }
        config.kafka.security.saslMechanism = reader.raw("REPLAYD_KAFKA_SASL_MECHANISM")
        config.kafka.security.saslUsername = reader.raw("REPLAYD_KAFKA_SASL_USERNAME")
        config.kafka.security.saslPassword = reader.raw("REPLAYD_KAFKA_SASL_PASSWORD")
        config.kafka.security.sslCALocation = reader.raw("REPLAYD_KAFKA_SSL_CA_LOCATION")
        config.kafka.security.sslCertificateLocation = reader.raw("REPLAYD_KAFKA_SSL_CERTIFICATE_LOCATION")
        config.kafka.security.sslKeyLocation = reader.raw("REPLAYD_KAFKA_SSL_KEY_LOCATION")
        config.kafka.security.sslKeyPassword = reader.raw("REPLAYD_KAFKA_SSL_KEY_PASSWORD")
        config.kafka.security.sslEndpointIdentification = reader.raw("REPLAYD_KAFKA_SSL_ENDPOINT_IDENTIFICATION")
        config.kafka.replicationFactor = Int16(reader.int("REPLAYD_KAFKA_REPLICATION_FACTOR", default: 1, range: 1...32))
        if reader.raw("REPLAYD_KAFKA_MIN_INSYNC_REPLICAS") != nil {
            let value = reader.int("REPLAYD_KAFKA_MIN_INSYNC_REPLICAS", default: 1, range: 1...32)
            config.kafka.minInsyncReplicas = value
            if value > Int(config.kafka.replicationFactor) {
                reader.problem("REPLAYD_KAFKA_MIN_INSYNC_REPLICAS=\(value) must not exceed REPLAYD_KAFKA_REPLICATION_FACTOR=\(config.kafka.replicationFactor)")
            }
        }
        if reader.raw("REPLAYD_KAFKA_RETENTION") != nil {
            config.kafka.retention = reader.duration("REPLAYD_KAFKA_RETENTION", default: .seconds(604_800), minimum: .seconds(60))
        }
        if config.kafka.brokers.split(separator: ",").contains(where: { !$0.contains(":") }) {
            reader.problem("REPLAYD_KAFKA_BROKERS=\(config.kafka.brokers) must be a comma-separated list of host:port")
        }

        config.s3.endpoint = reader.string("REPLAYD_S3_ENDPOINT", default: config.s3.endpoint)
        config.s3.region = reader.string("REPLAYD_S3_REGION", default: reader.string("AWS_REGION", default: config.s3.region))
        config.s3.bucket = reader.string("REPLAYD_S3_BUCKET", default: config.s3.bucket)
        config.s3.pathStyle = reader.bool("REPLAYD_S3_PATH_STYLE", default: config.s3.pathStyle)
        config.s3.credentials = AWSCredentials(from: &reader)
        if URL(string: config.s3.endpoint)?.scheme.map({ ["http", "https"].contains($0) }) != true {
            reader.problem("REPLAYD_S3_ENDPOINT=\(config.s3.endpoint) must be an http:// or https:// URL")
        }

        config.limits = BatchLimits(from: &reader)
        config.collector = CollectorConfiguration(from: &reader, limits: config.limits, topic: config.kafka.batchesTopic)
        config.processor = ProcessorConfiguration(
            from: &reader, brokers: config.kafka.brokers, topic: config.kafka.batchesTopic,
            deadLetterTopic: config.kafka.deadLetterTopic, groupID: config.kafka.processorGroup,
            sessionTimeout: config.kafka.sessionTimeout, limits: config.limits)
        config.processor.security = config.kafka.security
        config.spool = SpoolConfiguration(from: &reader)
        config.uploader = SegmentUploaderConfiguration(from: &reader)
        config.s3PartSize = reader.bytes("REPLAYD_S3_PART_SIZE", default: config.s3PartSize, range: (5 << 20)...(5 << 30))
        config.s3StallTimeout = reader.duration("REPLAYD_S3_STALL_TIMEOUT", default: config.s3StallTimeout, minimum: .seconds(1))
        config.tracker = TrackerConfiguration.load(from: &reader)
        config.playback = PlaybackConfiguration(from: &reader)
        config.publicURL = reader.raw("REPLAYD_PUBLIC_URL")
        config.nioExecutor = reader.bool("REPLAYD_NIO_EXECUTOR", default: config.nioExecutor)

        try reader.validate()
        return config
    }

    /// Settings that are only needed by services that talk to S3; checked when such a service starts.
    public func requireS3Credentials() throws {
        guard s3.credentials != nil else {
            throw ReplaydError(
                code: "missing_credentials",
                message: "S3 credentials are missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                    + "(for the local stack: eval \"$(scripts/stack env)\")")
        }
    }
}
