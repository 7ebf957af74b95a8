import CRdKafka

/// The per-message opaque: `send` retains it with `Unmanaged.passRetained` when librdkafka accepted
/// the record, and the delivery-report callback takes that retain back exactly once.
final class DeliveryCallback: Sendable {
    let topic: String
    let continuation: CheckedContinuation<KafkaDeliveryReport, any Error>

    init(topic: String, continuation: CheckedContinuation<KafkaDeliveryReport, any Error>) {
        self.topic = topic
        self.continuation = continuation
    }
}

/// `dr_msg_cb`: served by `rd_kafka_poll`/`rd_kafka_flush` on the producer's poll thread, once per record.
let rdkafkaDeliveryReportCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
    _, message, _ in
    guard let message, let opaque = message.pointee._private else { return }
    let callback = Unmanaged<DeliveryCallback>.fromOpaque(opaque).takeRetainedValue()
    let record = message.pointee
    if record.err == RD_KAFKA_RESP_ERR_NO_ERROR {
        callback.continuation.resume(returning: KafkaDeliveryReport(
            topic: callback.topic, partition: record.partition, offset: record.offset))
    } else {
        callback.continuation.resume(throwing: KafkaError(record.err, context: "deliver to \(callback.topic)[\(record.partition)]"))
    }
}
