import Core
import Foundation
import Kafka
import NIOCore

/// Puts an accepted batch on Kafka: key = session id (per-session order within a partition), value =
/// the validated, decompressed body as received, headers carrying what the Processor needs without
/// parsing the body. Returns only after the broker acknowledged (acks=all, idempotent producer).
///
/// Headers (documented in docs/architecture.md): `campaign` (uuid), `session`, `seq`, `events`,
/// `received-at` (ms since 1970), `user-agent`, `client-ip` (per ``CollectorConfiguration/ClientIPPolicy``),
/// `origin`, `content-type: application/json`.
public struct BatchPublisher: Sendable {
    let producer: ResilientKafkaProducer
    let topic: String

    public init(producer: ResilientKafkaProducer, topic: String) {
        self.producer = producer
        self.topic = topic
    }

    public struct Metadata: Sendable {
        public var campaignID: UUID
        public var batch: ValidatedBatch
        public var receivedAt: Date
        public var userAgent: String?
        public var clientIP: String?
        public var origin: String?
    }

    public func publish(_ body: ByteBuffer, metadata: Metadata) async throws -> KafkaDeliveryReport {
        var headers: [KafkaHeader] = [
            KafkaHeader(key: "campaign", value: Array(metadata.campaignID.uuidString.lowercased().utf8)),
            KafkaHeader(key: "session", value: Array(metadata.batch.session.utf8)),
            KafkaHeader(key: "seq", value: Array(String(metadata.batch.seq).utf8)),
            KafkaHeader(key: "events", value: Array(String(metadata.batch.eventCount).utf8)),
            KafkaHeader(key: "received-at", value: Array(String(Int64(metadata.receivedAt.timeIntervalSince1970 * 1000)).utf8)),
            KafkaHeader(key: "content-type", value: Array("application/json".utf8)),
        ]
        if let userAgent = metadata.userAgent { headers.append(KafkaHeader(key: "user-agent", value: Array(userAgent.prefix(512).utf8))) }
        if let ip = metadata.clientIP { headers.append(KafkaHeader(key: "client-ip", value: Array(ip.utf8))) }
        if let origin = metadata.origin { headers.append(KafkaHeader(key: "origin", value: Array(origin.prefix(512).utf8))) }
        let message = KafkaOutgoingMessage(
            topic: topic, key: Array(metadata.batch.session.utf8),
            value: body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? [], headers: headers)
        return try await producer.send(message)
    }
}
