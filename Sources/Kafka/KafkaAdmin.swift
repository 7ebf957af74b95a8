import CRdKafka
import Foundation
import Logging

/// Topic management and offset queries. Each call opens a short-lived librdkafka handle on its own
/// thread and closes it afterwards — fine for startup, tests and periodic lag metrics, not for hot paths.
public struct KafkaAdmin: Sendable {
    public var bootstrapServers: String
    public var logger: Logger
    /// Upper bound for each broker request.
    public var timeout = Duration.seconds(10)

    public init(bootstrapServers: String, logger: Logger) {
        self.bootstrapServers = bootstrapServers
        self.logger = logger
    }

    /// Creates `name`; succeeds if it already exists (whatever its partition count).
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int16 = 1) async throws {
        let timeoutMilliseconds = timeout.rdkafkaMilliseconds
        try await withClient(type: RD_KAFKA_PRODUCER) { rk in
            var errorText = [CChar](repeating: 0, count: 512)
            guard let topic = rd_kafka_NewTopic_new(name, partitions, Int32(replicationFactor), &errorText, errorText.count) else {
                throw KafkaError.configuration("topic \(name): \(RdKafkaConfiguration.text(errorText))")
            }
            defer { rd_kafka_NewTopic_destroy(topic) }
            var topics: [OpaquePointer?] = [topic]
            try Self.runAdminRequest(rk, operation: RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout: timeoutMilliseconds,
                                     what: "create topic \(name)",
                                     ignoring: [RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS.rawValue]) { options, queue in
                rd_kafka_CreateTopics(rk, &topics, 1, options, queue)
            } results: { event in
                var count = 0
                let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
                return (0..<count).map { rd_kafka_topic_result_error(results?[$0]) }
            }
        }
    }

    /// Deletes `name` (and frees what the broker holds for it); succeeds if it does not exist.
    public func deleteTopic(_ name: String) async throws {
        let timeoutMilliseconds = timeout.rdkafkaMilliseconds
        try await withClient(type: RD_KAFKA_PRODUCER) { rk in
            guard let topic = rd_kafka_DeleteTopic_new(name) else {
                throw KafkaError.configuration("topic \(name)")
            }
            defer { rd_kafka_DeleteTopic_destroy(topic) }
            var topics: [OpaquePointer?] = [topic]
            try Self.runAdminRequest(rk, operation: RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout: timeoutMilliseconds,
                                     what: "delete topic \(name)",
                                     ignoring: [RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue]) { options, queue in
                rd_kafka_DeleteTopics(rk, &topics, 1, options, queue)
            } results: { event in
                var count = 0
                let results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count)
                return (0..<count).map { rd_kafka_topic_result_error(results?[$0]) }
            }
        }
    }

    /// The partition's low (earliest available) and high (next to be written) offsets.
    public func watermarks(topic: String, partition: Int32) async throws -> (low: Int64, high: Int64) {
        let timeoutMilliseconds = timeout.rdkafkaMilliseconds
        let offsets = try await withClient(type: RD_KAFKA_PRODUCER) { rk -> [Int64] in
            var low: Int64 = 0
            var high: Int64 = 0
            let error = rd_kafka_query_watermark_offsets(rk, topic, partition, &low, &high, timeoutMilliseconds)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(error, context: "watermarks of \(topic)[\(partition)]")
            }
            return [low, high]
        }
        return (offsets[0], offsets[1])
    }

    /// How many partitions `topic` has; throws `unknownTopicOrPartition` if it does not exist.
    public func partitionCount(topic: String) async throws -> Int32 {
        let timeoutMilliseconds = timeout.rdkafkaMilliseconds
        return try await withClient(type: RD_KAFKA_PRODUCER) { rk in
            guard let handle = rd_kafka_topic_new(rk, topic, nil) else {
                throw KafkaError.configuration("topic \(topic)")
            }
            defer { rd_kafka_topic_destroy(handle) }
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(rk, 0, handle, &metadata, timeoutMilliseconds)
            defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
            if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "metadata of \(topic)") }
            guard let metadata, metadata.pointee.topic_cnt > 0, let entry = metadata.pointee.topics?[0] else {
                throw KafkaError(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, context: "metadata of \(topic)")
            }
            if entry.err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(entry.err, context: "metadata of \(topic)") }
            return entry.partition_cnt
        }
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
            ("client.id", "replayd-admin"),
            ("allow.auto.create.topics", "false"),
        ] + extra
        let logger = logger
        return try await WorkerThread.runDetached(name: "kafka-admin") {
            let context = ClientContext(logger: logger)
            let rk = try RdKafkaConfiguration.makeClient(type: type, properties: properties, context: context)
            defer {
                rd_kafka_destroy(rk)
                RdKafkaConfiguration.releaseContext(context)
            }
            return try body(rk)
        }
    }

    /// Sends one admin request and checks the per-item results, treating `ignoring` as success.
    private static func runAdminRequest(
        _ rk: OpaquePointer,
        operation: rd_kafka_admin_op_t,
        timeout: Int32,
        what: String,
        ignoring: Set<Int32>,
        send: (OpaquePointer?, OpaquePointer?) -> Void,
        results: (OpaquePointer) -> [rd_kafka_resp_err_t]
    ) throws {
        let queue = rd_kafka_queue_new(rk)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(rk, operation)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errorText = [CChar](repeating: 0, count: 512)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout, &errorText, errorText.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout, &errorText, errorText.count)

        send(options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeout + 1_000) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, context: what)
        }
        defer { rd_kafka_event_destroy(event) }
        let error = rd_kafka_event_error(event)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: what) }
        for result in results(event) where result != RD_KAFKA_RESP_ERR_NO_ERROR && !ignoring.contains(result.rawValue) {
            throw KafkaError(result, context: what)
        }
    }
}
