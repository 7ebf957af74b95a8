import CRdKafka
import Core

/// An error from the Kafka client. Switch on ``kind``; ``code`` is the stable identifier for logs
/// and metrics; ``rdkafkaCode`` is librdkafka's `rd_kafka_resp_err_t` when one caused it.
public struct KafkaError: UserFacingError, Equatable {
    /// What went wrong, coarse enough to decide what to do (retry, back off, drop, fix config).
    public enum Kind: Sendable, Hashable {
        /// The producer's local queue is full; back off and retry.
        case queueFull
        /// The broker did not acknowledge within `message.timeout.ms` (or a flush ran out of time).
        case messageTimedOut
        /// The record exceeds `message.max.bytes` on the client or the broker.
        case messageTooLarge
        /// No broker reachable, a connection failed, or a request timed out.
        case brokerUnavailable
        /// The topic or partition does not exist.
        case unknownTopicOrPartition
        /// A configuration property was rejected.
        case configuration
        /// The client was shut down (or the message was purged by shutdown).
        case closed
        /// The client is unusable for good (a fatal idempotence error, or the producer was fenced):
        /// recreate it. ``ResilientKafkaProducer`` does that by itself.
        case fatal
        /// Anything else; see ``KafkaError/rdkafkaCode`` and ``KafkaError/message``.
        case other
    }

    public var kind: Kind
    public var code: String
    public var message: String
    public var rdkafkaCode: Int32?

    init(kind: Kind, rdkafkaCode: Int32?, detail: String) {
        self.kind = kind
        self.rdkafkaCode = rdkafkaCode
        self.code = Self.code(for: kind)
        self.message = "\(Self.advice(for: kind)) (\(detail))"
    }

    /// Maps a librdkafka error code; `context` says what was being done (e.g. "produce to t").
    init(_ error: rd_kafka_resp_err_t, context: String) {
        let name = String(cString: rd_kafka_err2name(error))
        let text = String(cString: rd_kafka_err2str(error))
        self.init(kind: Self.kind(for: error), rdkafkaCode: error.rawValue, detail: "\(context): \(name): \(text)")
    }

    static func closed(_ detail: String = "client already shut down") -> KafkaError {
        KafkaError(kind: .closed, rdkafkaCode: nil, detail: detail)
    }

    static func configuration(_ detail: String) -> KafkaError {
        KafkaError(kind: .configuration, rdkafkaCode: nil, detail: detail)
    }

    static func kind(for error: rd_kafka_resp_err_t) -> Kind {
        switch error {
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            .queueFull
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
            .messageTimedOut
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE,
             RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
            .messageTooLarge
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__RESOLVE,
             RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
             RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
             RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
             RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
             RD_KAFKA_RESP_ERR__WAIT_COORD, RD_KAFKA_RESP_ERR__NODE_UPDATE:
            .brokerUnavailable
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC,
             RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
            .unknownTopicOrPartition
        case RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR_INVALID_CONFIG, RD_KAFKA_RESP_ERR__INVALID_TYPE:
            .configuration
        case RD_KAFKA_RESP_ERR__DESTROY, RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
            .closed
        case RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR__FENCED, RD_KAFKA_RESP_ERR_PRODUCER_FENCED,
             RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
             RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID:
            .fatal
        default:
            .other
        }
    }

    private static func code(for kind: Kind) -> String {
        switch kind {
        case .queueFull: "kafka_queue_full"
        case .messageTimedOut: "kafka_message_timed_out"
        case .messageTooLarge: "kafka_message_too_large"
        case .brokerUnavailable: "kafka_broker_unavailable"
        case .unknownTopicOrPartition: "kafka_unknown_topic_or_partition"
        case .configuration: "kafka_configuration"
        case .closed: "kafka_closed"
        case .fatal: "kafka_fatal"
        case .other: "kafka_error"
        }
    }

    private static func advice(for kind: Kind) -> String {
        switch kind {
        case .queueFull:
            "The Kafka producer's local queue is full: the brokers are slow or unreachable. Back off and retry, or raise queueMaxMessages/queueMaxKBytes."
        case .messageTimedOut:
            "Kafka did not acknowledge in time. Check that the brokers in REPLAYD_KAFKA_BROKERS are up and reachable; the record was not stored and may be retried."
        case .messageTooLarge:
            "The Kafka record is larger than message.max.bytes allows. Lower the batch size or raise message.max.bytes on the producer and the topic/broker."
        case .brokerUnavailable:
            "No Kafka broker answered. Check REPLAYD_KAFKA_BROKERS and that the brokers are running and reachable."
        case .unknownTopicOrPartition:
            "The Kafka topic or partition does not exist. Create it (replayd creates its topics at startup) or fix the topic name."
        case .configuration:
            "A Kafka client setting was rejected. Fix the named property in the configuration."
        case .closed:
            "The Kafka client was already shut down; this happens during shutdown and needs no action otherwise."
        case .fatal:
            "The Kafka producer hit a fatal error (fenced or an idempotence failure) and must be recreated; the record was not stored and may be retried."
        case .other:
            "Kafka reported an unexpected error. See the librdkafka error below and the broker logs."
        }
    }
}
