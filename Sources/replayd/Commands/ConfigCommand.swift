import HTTPSupport
import ReplaydKit
import ArgumentParser
import Collector
import Core
import Database
import Foundation
import Kafka
import Playback
import Processor
import Redis
import S3
import Tracker
import Uploader

/// `replayd config`: validates the environment and prints every effective setting once, each under
/// the variable that sets it; secrets are never printed (only whether they are set).
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Validate the configuration and print the effective settings (secrets redacted).")

    func run() async throws {
        let c = try ReplaydConfiguration.load()
        for (name, value) in Self.settings(c) {
            print(name.padding(toLength: max(38, name.count + 1), withPad: " ", startingAt: 0) + value)
        }
    }

    /// (variable, effective value) for every setting `ReplaydConfiguration.load` reads.
    static func settings(_ c: ReplaydConfiguration) -> [(String, String)] {
        func secret(_ value: String?) -> String { value.map { "(set, \($0.utf8.count) bytes)" } ?? "(unset)" }
        func optional(_ value: String?) -> String { value ?? "(unset)" }
        let postgresUser = c.postgres.username + (c.postgres.password == nil ? "" : ":***")
        let redisAuth = c.redis.password == nil ? "" : "\(c.redis.username ?? ""):***@"
        return [
            ("REPLAYD_HTTP_HOST", c.http.host),
            ("REPLAYD_HTTP_PORT", "\(c.http.port)"),
            ("REPLAYD_HTTP_IDLE_TIMEOUT", "\(c.http.edge.idleTimeout)"),
            ("REPLAYD_HTTP_BODY_TIMEOUT", "\(c.http.edge.bodyTimeout)"),
            ("REPLAYD_HTTP_MAX_CONNECTIONS", "\(c.http.edge.maxConnections)"),
            ("REPLAYD_ADMIN_HTTP_HOST", c.http.adminHost),
            ("REPLAYD_ADMIN_HTTP_PORT", "\(c.http.adminPort)"),
            ("REPLAYD_LOG_LEVEL", "\(c.logLevel)"),
            ("REPLAYD_PUBLIC_URL", optional(c.publicURL)),
            ("REPLAYD_POSTGRES_URL", "postgres://\(postgresUser)@\(c.postgres.displayName) (sslmode \(c.postgres.sslMode))"),
            ("REPLAYD_POSTGRES_MAX_CONNECTIONS", "\(c.postgres.maximumConnections)"),
            ("REPLAYD_REDIS_URL", "redis://\(redisAuth)\(c.redis.endpoint)/\(c.redis.database)"),
            ("REPLAYD_REDIS_POOL_SIZE", "\(c.redis.poolSize)"),
            ("REPLAYD_REDIS_TIMEOUT", "\(c.redis.commandTimeout)"),
            ("REPLAYD_KAFKA_BROKERS", c.kafka.brokers),
            ("REPLAYD_KAFKA_TOPIC", c.kafka.batchesTopic),
            ("REPLAYD_KAFKA_DLQ_TOPIC", c.kafka.deadLetterTopic),
            ("REPLAYD_KAFKA_GROUP", c.kafka.processorGroup),
            ("REPLAYD_KAFKA_MESSAGE_TIMEOUT", "\(c.kafka.messageTimeout)"),
            ("REPLAYD_KAFKA_SESSION_TIMEOUT", "\(c.kafka.sessionTimeout)"),
            ("REPLAYD_KAFKA_PARTITIONS", "\(c.kafka.partitions)"),
            ("REPLAYD_KAFKA_LINGER", "\(c.kafka.linger)"),
            ("REPLAYD_KAFKA_COMPRESSION", c.kafka.compression),
            ("REPLAYD_KAFKA_SECURITY_PROTOCOL", c.kafka.security.securityProtocol ?? "plaintext"),
            ("REPLAYD_KAFKA_SASL_MECHANISM", c.kafka.security.saslMechanism ?? "-"),
            ("REPLAYD_KAFKA_SASL_USERNAME", c.kafka.security.saslUsername ?? "-"),
            ("REPLAYD_KAFKA_SASL_PASSWORD", c.kafka.security.saslPassword == nil ? "-" : "***"),
            ("REPLAYD_KAFKA_SSL_CA_LOCATION", c.kafka.security.sslCALocation ?? "-"),
            ("REPLAYD_KAFKA_SSL_CERTIFICATE_LOCATION", c.kafka.security.sslCertificateLocation ?? "-"),
            ("REPLAYD_KAFKA_SSL_KEY_LOCATION", c.kafka.security.sslKeyLocation ?? "-"),
            ("REPLAYD_KAFKA_SSL_KEY_PASSWORD", c.kafka.security.sslKeyPassword == nil ? "-" : "***"),
            ("REPLAYD_KAFKA_SSL_ENDPOINT_IDENTIFICATION", c.kafka.security.sslEndpointIdentification ?? "https"),
            ("REPLAYD_KAFKA_REPLICATION_FACTOR", "\(c.kafka.replicationFactor)"),
            ("REPLAYD_KAFKA_MIN_INSYNC_REPLICAS", c.kafka.minInsyncReplicas.map { "\($0)" } ?? "broker default"),
            ("REPLAYD_KAFKA_RETENTION", c.kafka.retention.map { "\($0)" } ?? "broker default"),
            ("REPLAYD_S3_ENDPOINT", c.s3.endpoint),
            ("REPLAYD_S3_REGION", c.s3.region),
            ("REPLAYD_S3_BUCKET", c.s3.bucket),
            ("REPLAYD_S3_PATH_STYLE", "\(c.s3.pathStyle)"),
            ("REPLAYD_S3_PART_SIZE", "\(c.s3PartSize)"),
            ("REPLAYD_S3_STALL_TIMEOUT", "\(c.s3StallTimeout)"),
            ("AWS_ACCESS_KEY_ID", c.s3.credentials.map { String($0.accessKeyID.prefix(4)) + "…" } ?? "(unset)"),
            ("AWS_SECRET_ACCESS_KEY", secret(c.s3.credentials?.secretAccessKey)),
            ("AWS_SESSION_TOKEN", secret(c.s3.credentials?.sessionToken)),
            ("REPLAYD_MAX_EVENTS_PER_BATCH", "\(c.limits.maxEventsPerBatch)"),
            ("REPLAYD_TIMESTAMP_SKEW", "\(c.limits.timestampSkew)"),
            ("REPLAYD_MAX_BATCH_BYTES", "\(c.collector.maxBatchBytes)"),
            ("REPLAYD_MAX_INFLIGHT_BYTES", "\(c.collector.maxInflightBytes)"),
            ("REPLAYD_CAMPAIGN_CACHE_TTL", "\(c.collector.campaignCacheTTL)"),
            ("REPLAYD_NEGATIVE_CACHE_TTL", "\(c.collector.negativeCacheTTL)"),
            ("REPLAYD_CAMPAIGN_LOAD_TIMEOUT", "\(c.collector.campaignLoadTimeout)"),
            ("REPLAYD_SESSION_WINDOW", "\(c.collector.sessionWindow)"),
            ("REPLAYD_ADMISSION_TTL", "\(c.collector.admissionTTL)"),
            ("REPLAYD_REDIS_DOWN_POLICY", c.collector.redisDownPolicy.rawValue),
            ("REPLAYD_COLLECTOR_INSTANCES", "\(c.collector.expectedInstances)"),
            ("REPLAYD_CLIENT_IP", c.collector.clientIPPolicy.rawValue),
            ("REPLAYD_TRUST_FORWARDED_FOR", "\(c.collector.trustForwardedFor)"),
            ("REPLAYD_PROCESSOR_INSTANCE", c.processor.instanceID),
            ("REPLAYD_PROCESSOR_MAX_ATTEMPTS", "\(c.processor.maxAttempts)"),
            ("REPLAYD_HANDOVER_TIMEOUT", "\(c.processor.handoverTimeout)"),
            ("REPLAYD_PROCESSOR_ASSIGNMENT_WAIT", "\(c.processor.assignmentWait)"),
            ("REPLAYD_SESSION_END_IDLE", "\(c.uploader.sessionEndIdle)"),
            ("REPLAYD_SPOOL_DIR", c.spool.directory),
            ("REPLAYD_SPOOL_IDLE_TIMEOUT", "\(c.spool.idleTimeout)"),
            ("REPLAYD_SEGMENT_MAX_BYTES", "\(c.spool.maxSegmentBytes)"),
            ("REPLAYD_SEGMENT_MAX_AGE", "\(c.spool.maxSegmentAge)"),
            ("REPLAYD_SPOOL_MAX_OPEN", "\(c.spool.maxOpenSegments)"),
            ("REPLAYD_COMMIT_MAX_DELAY", "\(c.spool.commitMaxDelay)"),
            ("REPLAYD_SPOOL_MAX_BYTES", "\(c.spool.maxBytes)"),
            ("REPLAYD_SPOOL_MIN_FREE_BYTES", "\(c.spool.minFreeBytes)"),
            ("REPLAYD_UPLOAD_CONCURRENCY", "\(c.uploader.maxConcurrentUploads)"),
            ("REPLAYD_TRACKER_RETENTION_DAYS", "\(c.tracker.retentionDays)"),
            ("REPLAYD_TRACKER_FLUSH_INTERVAL", "\(c.tracker.flushInterval)"),
            ("REPLAYD_TRACKER_MAX_BATCH", "\(c.tracker.maxBatch)"),
            ("REPLAYD_TRACKER_MAX_PENDING", "\(c.tracker.maxPendingUpserts)"),
            ("REPLAYD_TRACKER_REDIS_RETRY", "\(c.tracker.redisRetryInterval)"),
            ("REPLAYD_TRACKER_LAST_SEEN_RESOLUTION", "\(c.tracker.lastSeenResolution)"),
            ("REPLAYD_LINK_SECRET", secret(c.playback.linkSecret)),
            ("REPLAYD_RRWEB_ASSETS", optional(c.playback.rrwebAssetsDirectory)),
            ("REPLAYD_RRWEB_ASSET_URL", optional(c.playback.rrwebAssetBaseURL)),
            ("REPLAYD_NIO_EXECUTOR", "\(c.nioExecutor)"),
            ("REPLAYD_PRESIGN_SECONDS", c.playback.presignedURLLifetime.map { "\($0)" } ?? "0 (presigned URLs off)"),
            ("REPLAYD_PLAYBACK_MAX_STREAMS", "\(c.playback.maxConcurrentStreams)"),
            ("REPLAYD_PLAYBACK_MAX_TEMP_BYTES", "\(c.playback.maxTemporaryBytes)"),
            ("REPLAYD_PLAYBACK_TEMP_DIR", c.playback.temporaryDirectory),
            ("REPLAYD_FRAME_ANCESTORS", c.playback.frameAncestors),
        ]
    }
}
