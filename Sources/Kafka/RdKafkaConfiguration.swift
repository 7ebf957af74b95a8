import CRdKafka

/// Builds an `rd_kafka_t` from string properties. The librdkafka configuration object is consumed by
/// `rd_kafka_new` on success and destroyed here on every failure path.
enum RdKafkaConfiguration {
    /// Creates a client of `type` with `properties` (applied in order, so later keys win) and the
    /// common callbacks wired to `context`. On success the caller owns one retain of `context`
    /// (release it after `rd_kafka_destroy`); on failure nothing is retained.
    static func makeClient(
        type: rd_kafka_type_t,
        properties: [(String, String)],
        context: ClientContext,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(kind: .other, rdkafkaCode: nil, detail: "rd_kafka_conf_new returned NULL")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in properties {
            let result = rd_kafka_conf_set(conf, key, value, &errorText, errorText.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError.configuration("\(key)=\(value): \(RdKafkaConfiguration.text(errorText))")
            }
        }
        rd_kafka_conf_set_log_cb(conf, rdkafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, rdkafkaErrorCallback)
        configure(conf)

        let opaque = Unmanaged.passRetained(context).toOpaque()
        rd_kafka_conf_set_opaque(conf, opaque)
        guard let rk = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            Unmanaged<ClientContext>.fromOpaque(opaque).release()
            throw KafkaError.configuration(RdKafkaConfiguration.text(errorText))
        }
        return rk
    }

    /// Releases the retain taken by ``makeClient(type:properties:context:configure:)``. Call exactly
    /// once, after `rd_kafka_destroy` returned.
    static func releaseContext(_ context: ClientContext) {
        Unmanaged.passUnretained(context).release()
    }

    /// The NUL-terminated text librdkafka wrote into an `errstr` buffer.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
