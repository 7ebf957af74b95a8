import CRdKafka
import Logging

/// The admin requests, each run with a live handle on a thread that may block; shared by the
/// short-lived ``KafkaAdmin`` and the long-lived ``KafkaAdminClient``.
enum AdminOperation {
    /// Client properties every admin handle gets (besides `bootstrap.servers`).
    static let properties = [("client.id", "replayd-admin"), ("allow.auto.create.topics", "false")]

    static func createTopic(_ rk: OpaquePointer, _ name: String, partitions: Int32, replicationFactor: Int16,
                            config: [(String, String)] = [], timeout: Int32) throws {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let topic = rd_kafka_NewTopic_new(name, partitions, Int32(replicationFactor), &errorText, errorText.count) else {
            throw KafkaError.configuration("topic \(name): \(RdKafkaConfiguration.text(errorText))")
        }
        defer { rd_kafka_NewTopic_destroy(topic) }
        for (key, value) in config {
            let error = rd_kafka_NewTopic_set_config(topic, key, value)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "topic \(name): \(key)=\(value)") }
        }
        var topics: [OpaquePointer?] = [topic]
        try runAdminRequest(rk, operation: RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout: timeout, what: "create topic \(name)",
                            ignoring: [RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS.rawValue]) { options, queue in
            rd_kafka_CreateTopics(rk, &topics, 1, options, queue)
        } results: { event in
            var count = 0
            let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
            return (0..<count).map { rd_kafka_topic_result_error(results?[$0]) }
        }
    }

    static func deleteTopic(_ rk: OpaquePointer, _ name: String, timeout: Int32) throws {
        guard let topic = rd_kafka_DeleteTopic_new(name) else {
            throw KafkaError.configuration("topic \(name)")
        }
        defer { rd_kafka_DeleteTopic_destroy(topic) }
        var topics: [OpaquePointer?] = [topic]
        try runAdminRequest(rk, operation: RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout: timeout, what: "delete topic \(name)",
                            ignoring: [RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue]) { options, queue in
            rd_kafka_DeleteTopics(rk, &topics, 1, options, queue)
        } results: { event in
            var count = 0
            let results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count)
            return (0..<count).map { rd_kafka_topic_result_error(results?[$0]) }
        }
    }

    /// `[low, high]`.
    static func watermarks(_ rk: OpaquePointer, topic: String, partition: Int32, timeout: Int32) throws -> [Int64] {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(rk, topic, partition, &low, &high, timeout)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(error, context: "watermarks of \(topic)[\(partition)]")
        }
        return [low, high]
    }

    static func partitionCount(_ rk: OpaquePointer, topic: String, timeout: Int32) throws -> Int32 {
        guard let handle = rd_kafka_topic_new(rk, topic, nil) else {
            throw KafkaError.configuration("topic \(topic)")
        }
        defer { rd_kafka_topic_destroy(handle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(rk, 0, handle, &metadata, timeout)
        defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "metadata of \(topic)") }
        guard let metadata, metadata.pointee.topic_cnt > 0, let entry = metadata.pointee.topics?[0] else {
            throw KafkaError(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, context: "metadata of \(topic)")
        }
        if entry.err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(entry.err, context: "metadata of \(topic)") }
        return entry.partition_cnt
    }

    /// The group's state and member count as its coordinator reports them (DescribeGroups sent to
    /// the coordinator; the older ListGroups path misses groups some brokers list only once they
    /// have committed offsets).
    ///
    /// Runs on a librdkafka handle of its own, destroyed before this returns, and gives up (throws
    /// `timedOut`) after `timeout` while librdkafka's own timeout for the request is later: never on a
    /// long-lived handle. librdkafka (2.8.0 here; unchanged up to v2.15.0) has a use-after-free in
    /// coordinator-targeted admin requests (DescribeConsumerGroups, ListConsumerGroupOffsets, …):
    /// when such a request times out before its coordinator was found (no broker reachable), the
    /// coordinator lookup stays queued in the handle; once a broker is back it calls
    /// `rd_kafka_admin_coord_request`, which drops the request's last enqueue-once reference (freeing
    /// it) and fails, and the failure is then delivered to `rd_kafka_admin_coord_response_parse`
    /// with the freed object: the process aborts with `rd_kafka_enq_once_del_source_return:
    /// Assertion 'eonce->refcnt > 0' failed` (librdkafka issue #4605; the stuck-group check hit it
    /// in the Processors when the broker came back after an outage). On a handle destroyed while
    /// the request is still pending, the lookup is failed by `rd_kafka_destroy` instead (the
    /// handle is terminating, so the coordinator request is never sent), which releases it correctly.
    static func group(properties: [(String, String)], logger: Logger, _ group: String, timeout: Int32) throws -> KafkaGroupState {
        try withOwnHandle(properties: properties, logger: logger) { rk in
            var described = KafkaGroupState(state: "Unknown", members: 0)
            try group.withCString { name in
                var names: [UnsafePointer<CChar>?] = [name]
                try runAdminRequest(rk, operation: RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
                                    timeout: timeout + ownHandleRequestSlack, wait: timeout,
                                    what: "describe group \(group)", ignoring: []) { options, queue in
                    rd_kafka_DescribeConsumerGroups(rk, &names, 1, options, queue)
                } results: { event in
                    var count = 0
                    let result = rd_kafka_event_DescribeConsumerGroups_result(event)
                    guard let groups = rd_kafka_DescribeConsumerGroups_result_groups(result, &count), count > 0,
                          let description = groups[0] else { return [] }
                    if let error = rd_kafka_ConsumerGroupDescription_error(description) { return [rd_kafka_error_code(error)] }
                    let state = rd_kafka_ConsumerGroupDescription_state(description)
                    described = KafkaGroupState(state: rd_kafka_consumer_group_state_name(state).map { String(cString: $0) } ?? "Unknown",
                                                members: rd_kafka_ConsumerGroupDescription_member_count(description))
                    return []
                }
            }
            return described
        }
    }

    /// How much later than the caller gives up librdkafka's own timeout of a request on a handle of
    /// its own fires (see ``group(properties:logger:_:timeout:)``): the handle is destroyed first.
    static let ownHandleRequestSlack: Int32 = 60_000

    /// Runs `body` with a new handle of `type` (a producer by default) made from `properties`;
    /// destroys it afterwards (blocks).
    static func withOwnHandle<T>(type: rd_kafka_type_t = RD_KAFKA_PRODUCER, properties: [(String, String)], logger: Logger,
                                 _ body: (OpaquePointer) throws -> T) throws -> T {
        let context = ClientContext(logger: logger)
        let rk = try RdKafkaConfiguration.makeClient(type: type, properties: properties, context: context)
        defer {
            rd_kafka_destroy(rk)
            RdKafkaConfiguration.releaseContext(context)
        }
        return try body(rk)
    }

    /// Sends one admin request and checks the per-item results, treating `ignoring` as success.
    /// `timeout` is librdkafka's request timeout; the result is waited for `wait` (default: a second
    /// longer than `timeout`, so librdkafka's own timeout result arrives first).
    private static func runAdminRequest(
        _ rk: OpaquePointer,
        operation: rd_kafka_admin_op_t,
        timeout: Int32,
        wait: Int32? = nil,
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
        guard let event = rd_kafka_queue_poll(queue, wait ?? timeout + 1_000) else {
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
