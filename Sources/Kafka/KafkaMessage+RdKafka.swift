import CRdKafka
import Foundation

extension KafkaMessage {
    /// Copies a consumed record out of librdkafka's buffers.
    init(_ message: UnsafeMutablePointer<rd_kafka_message_t>) {
        let record = message.pointee
        let topic = String(cString: rd_kafka_topic_name(record.rkt))
        let value = record.payload.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: record.len)) } ?? []
        let key = record.key.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: record.key_len)) }

        var headers: [KafkaHeader] = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var bytes: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &bytes, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let headerValue = bytes.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                headers.append(KafkaHeader(key: name.map { String(cString: $0) } ?? "", value: headerValue))
                index += 1
            }
        }

        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let milliseconds = rd_kafka_message_timestamp(message, &timestampType)
        let timestamp = milliseconds >= 0 ? Date(timeIntervalSince1970: Double(milliseconds) / 1_000) : nil

        self.init(topic: topic, partition: record.partition, offset: record.offset, key: key, value: value,
                  headers: headers, timestamp: timestamp)
    }
}
