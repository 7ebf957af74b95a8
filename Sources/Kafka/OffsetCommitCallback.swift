import CRdKafka
import Logging

/// `offset_commit_cb`: the result of a commit, served inside `rd_kafka_consumer_poll` on the
/// consumer's poll thread. Only failures of asynchronous commits (``KafkaConsumer/commitAsync()``)
/// need attention here — synchronous ones are reported to their caller too. The offsets stay
/// stored, so the next commit sends them again.
let rdkafkaOffsetCommitCallback: @convention(c) (
    OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?
) -> Void = { _, error, _, opaque in
    guard error != RD_KAFKA_RESP_ERR_NO_ERROR, error != RD_KAFKA_RESP_ERR__NO_OFFSET,
          let context = ClientContext.from(opaque) else { return }
    context.logger.warning("Kafka offset commit failed; the stored offsets go with the next commit: \(KafkaError(error, context: "commit"))")
}
