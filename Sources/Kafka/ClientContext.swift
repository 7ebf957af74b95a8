import CRdKafka
import Logging
import Synchronization

/// What librdkafka's C callbacks need, reached through the configuration opaque
/// (`rd_kafka_conf_set_opaque` / `rd_kafka_opaque`). The owning client retains it with `Unmanaged`
/// before `rd_kafka_new` and releases it exactly once, after `rd_kafka_destroy` returned (so no
/// librdkafka thread can still call back into it).
final class ClientContext: Sendable {
    let logger: Logger
    let rebalanceHandler: (@Sendable (KafkaRebalanceEvent) -> Void)?
    /// Rebalance callbacks served so far (a consumer's batch poll stops at one).
    let rebalances = Atomic<UInt64>(0)

    init(logger: Logger, rebalanceHandler: (@Sendable (KafkaRebalanceEvent) -> Void)? = nil) {
        self.logger = logger
        self.rebalanceHandler = rebalanceHandler
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> ClientContext? {
        guard let opaque else { return nil }
        return Unmanaged<ClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// librdkafka's syslog-style levels mapped to swift-log.
private func logLevel(_ level: Int32) -> Logger.Level {
    switch level {
    case ...3: .error
    case 4: .warning
    case 5, 6: .info
    default: .debug
    }
}

/// `log_cb`: called from librdkafka's internal threads; `Logger` is thread-safe.
let rdkafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    rk, level, facility, buffer in
    guard let rk, let context = ClientContext.from(rd_kafka_opaque(rk)) else { return }
    let facility = facility.map { String(cString: $0) } ?? "?"
    let text = buffer.map { String(cString: $0) } ?? ""
    context.logger.log(level: logLevel(level), "librdkafka: \(text)", metadata: ["kafka.facility": "\(facility)"])
}

/// `error_cb`: served from `rd_kafka_poll`/`rd_kafka_consumer_poll` on the client's own thread.
/// Most of these are transient (a broker went away and librdkafka reconnects by itself).
let rdkafkaErrorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
    rk, code, reason, opaque in
    guard let context = ClientContext.from(opaque) else { return }
    let reason = reason.map { String(cString: $0) } ?? ""
    let error = rd_kafka_resp_err_t(rawValue: code)
    if error == RD_KAFKA_RESP_ERR__FATAL {
        context.logger.error("Kafka client hit a fatal error and must be recreated: \(reason)")
    } else {
        context.logger.warning("Kafka client error (librdkafka retries by itself): \(reason)",
                               metadata: ["kafka.error": "\(String(cString: rd_kafka_err2name(error)))"])
    }
}
