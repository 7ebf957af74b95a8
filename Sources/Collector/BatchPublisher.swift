import Core
import Foundation
import Kafka
import NIOCore

/// Puts an accepted batch on Kafka: key = session id (per-session order within a partition), value =
/// the validated, decompressed body as received, headers carrying what the Processor needs without
/// parsing the body. Returns only after the broker acknowledged (acks=all, idempotent producer).
///
/// Headers: ``BatchHeaders`` (`client-ip` per ``CollectorConfiguration/ClientIPPolicy``).
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
        let headers = BatchHeaders(
            campaignID: metadata.campaignID, session: metadata.batch.session, seq: metadata.batch.seq,
            eventCount: metadata.batch.eventCount, receivedAt: metadata.receivedAt,
            userAgent: metadata.userAgent, clientIP: metadata.clientIP, origin: metadata.origin
        )
        let message = KafkaOutgoingMessage(
            topic: topic, key: Array(metadata.batch.session.utf8),
            value: body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? [], headers: [KafkaHeader](wire: headers.encoded()))
        return try await producer.send(message)
    }
}
