import CRdKafka
import Synchronization
import Logging

/// `rebalance_cb`: served inside `rd_kafka_consumer_poll`/`rd_kafka_consumer_close` on the consumer's
/// poll thread. Order: on assignment the handler runs before the partitions are assigned; on
/// revocation the handler runs first (so the application stops and stores its in-flight work), then
/// the stored offsets are committed synchronously, then the partitions are released.
let rdkafkaRebalanceCallback: @convention(c) (
    OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?
) -> Void = { rk, error, partitions, opaque in
    guard let rk, let context = ClientContext.from(opaque) else { return }
    context.rebalances.add(1, ordering: .relaxed)
    let cooperative = crdkafka_is_cooperative(rk) != 0
    let list = TopicPartitionList.partitions(partitions)
    let logger = context.logger

    switch error {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        logger.info("Kafka partitions assigned", metadata: ["kafka.partitions": "\(list)"])
        context.rebalanceHandler?(.assigned(list))
        if cooperative {
            consume(rd_kafka_incremental_assign(rk, partitions), logger: context, what: "incremental assign")
        } else {
            checked(rd_kafka_assign(rk, partitions), context: context, what: "assign")
        }

    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
        logger.info("Kafka partitions revoked", metadata: ["kafka.partitions": "\(list)"])
        context.rebalanceHandler?(.revoked(list))
        if rd_kafka_assignment_lost(rk) != 0 {
            logger.warning("Kafka partitions were lost (session expired); their stored offsets cannot be committed")
        } else {
            let commit = rd_kafka_commit(rk, nil, 0)
            if commit != RD_KAFKA_RESP_ERR_NO_ERROR, commit != RD_KAFKA_RESP_ERR__NO_OFFSET {
                logger.warning("Kafka commit before revocation failed: \(KafkaError(commit, context: "commit"))")
            }
        }
        if cooperative {
            consume(rd_kafka_incremental_unassign(rk, partitions), logger: context, what: "incremental unassign")
        } else {
            checked(rd_kafka_assign(rk, nil), context: context, what: "unassign")
        }

    default:
        logger.error("Kafka rebalance failed: \(KafkaError(error, context: "rebalance"))")
        if cooperative {
            consume(rd_kafka_incremental_unassign(rk, partitions), logger: context, what: "incremental unassign")
        } else {
            checked(rd_kafka_assign(rk, nil), context: context, what: "unassign")
        }
    }
}

private func checked(_ error: rd_kafka_resp_err_t, context: ClientContext, what: String) {
    if error != RD_KAFKA_RESP_ERR_NO_ERROR {
        context.logger.error("Kafka \(what) failed: \(KafkaError(error, context: what))")
    }
}

private func consume(_ error: OpaquePointer?, logger context: ClientContext, what: String) {
    guard let error else { return }
    let code = rd_kafka_error_code(error)
    rd_kafka_error_destroy(error)
    checked(code, context: context, what: what)
}
