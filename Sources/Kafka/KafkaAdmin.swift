import CRdKafka
import Foundation
import Logging

/// Topic management and offset queries for commands and tests. Each call opens a short-lived
/// librdkafka handle on its own thread and closes it afterwards; a service keeps one
/// ``KafkaAdminClient`` for its whole life instead.
public struct KafkaAdmin: Sendable {
    public var bootstrapServers: String
    public var logger: Logger
    /// Upper bound for each broker request.
    public var timeout = Duration.seconds(10)
    /// TLS and SASL.
    public var security: KafkaSecurity

    public init(bootstrapServers: String, security: KafkaSecurity = KafkaSecurity(), logger: Logger) {
        self.bootstrapServers = bootstrapServers
        self.security = security
        self.logger = logger
    }

    /// Creates `name`; succeeds if it already exists (whatever its partition count).
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int16 = 1) async throws {
        let timeout = timeout.rdkafkaMilliseconds
        try await withClient(type: RD_KAFKA_PRODUCER) { rk in
            try AdminOperation.createTopic(rk, name, partitions: partitions, replicationFactor: replicationFactor, timeout: timeout)
        }
    }

    /// Deletes `name` (and frees what the broker holds for it); succeeds if it does not exist.
    public func deleteTopic(_ name: String) async throws {
        let timeout = timeout.rdkafkaMilliseconds
        try await withClient(type: RD_KAFKA_PRODUCER) { rk in try AdminOperation.deleteTopic(rk, name, timeout: timeout) }
    }

    /// The partition's low (earliest available) and high (next to be written) offsets.
    public func watermarks(topic: String, partition: Int32) async throws -> (low: Int64, high: Int64) {
        let timeout = timeout.rdkafkaMilliseconds
        let offsets = try await withClient(type: RD_KAFKA_PRODUCER) { rk in
            try AdminOperation.watermarks(rk, topic: topic, partition: partition, timeout: timeout)
        }
        return (offsets[0], offsets[1])
    }

    /// How many partitions `topic` has; throws `unknownTopicOrPartition` if it does not exist.
    public func partitionCount(topic: String) async throws -> Int32 {
        let timeout = timeout.rdkafkaMilliseconds
        return try await withClient(type: RD_KAFKA_PRODUCER) { rk in try AdminOperation.partitionCount(rk, topic: topic, timeout: timeout) }
    }

    /// The offset `group` committed for the partition (the next offset it will read), or `nil` if
    /// it committed none. Does not join the group.
    public func committedOffset(group: String, topic: String, partition: Int32) async throws -> Int64? {
        let timeoutMilliseconds = timeout.rdkafkaMilliseconds
        let offset = try await withClient(type: RD_KAFKA_CONSUMER, extra: [("group.id", group)]) { rk -> Int64 in
            let list = TopicPartitionList.make([KafkaTopicPartition(topic: topic, partition: partition)])
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let error = rd_kafka_committed(rk, list, timeoutMilliseconds)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(error, context: "committed offset of \(group) for \(topic)[\(partition)]")
            }
            if let (_, partitionError) = TopicPartitionList.firstError(list) {
                throw KafkaError(partitionError, context: "committed offset of \(group) for \(topic)[\(partition)]")
            }
            return list.pointee.elems[0].offset
        }
        return offset >= 0 ? offset : nil
    }

    private func withClient<T: Sendable>(
        type: rd_kafka_type_t,
        extra: [(String, String)] = [],
        _ body: @escaping @Sendable (OpaquePointer) throws -> T
    ) async throws -> T {
        let properties = [
            ("bootstrap.servers", bootstrapServers),
        ] + security.properties + AdminOperation.properties + extra
        let logger = logger
        return try await WorkerThread.runDetached(name: "kafka-admin") {
            try AdminOperation.withOwnHandle(type: type, properties: properties, logger: logger, body)
        }
    }
}
