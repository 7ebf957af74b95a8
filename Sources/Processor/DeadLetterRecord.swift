import Core
import Foundation
import Kafka

/// A record in the dead-letter topic: the original key, value and headers, plus the `dlq-*`
/// headers (``DeadLetterHeaders``) that say why, how often, when and from where.
public struct DeadLetterRecord: Sendable, Equatable {
    public var key: [UInt8]?
    public var value: [UInt8]
    /// The original record's headers (without any `dlq-*` header).
    public var originalHeaders: [KafkaHeader]
    public var reason: DeadLetterReason
    public var message: String
    public var errorClass: String
    public var errorCode: String
    public var attempts: Int
    public var firstFailure: Date
    public var lastFailure: Date
    public var sourceTopic: String
    public var sourcePartition: Int32
    public var sourceOffset: Int64
    public var instance: String

    public init(
        key: [UInt8]?, value: [UInt8], originalHeaders: [KafkaHeader], reason: DeadLetterReason, message: String,
        errorClass: String, errorCode: String, attempts: Int, firstFailure: Date, lastFailure: Date,
        sourceTopic: String, sourcePartition: Int32, sourceOffset: Int64, instance: String
    ) {
        self.key = key
        self.value = value
        self.originalHeaders = originalHeaders.filter { !$0.key.hasPrefix(DeadLetterHeaders.prefix) }
        self.reason = reason
        self.message = message
        self.errorClass = errorClass
        self.errorCode = errorCode
        self.attempts = attempts
        self.firstFailure = firstFailure
        self.lastFailure = lastFailure
        self.sourceTopic = sourceTopic
        self.sourcePartition = sourcePartition
        self.sourceOffset = sourceOffset
        self.instance = instance
    }

    /// The dead letter for `original` that failed with `failure`.
    public init(original: KafkaMessage, failure: ProcessingFailure, attempts: Int, firstFailure: Date,
                lastFailure: Date, instance: String) {
        let reason: DeadLetterReason
        switch failure.kind {
        case .poison(let poison): reason = poison
        case .transient: reason = .retriesExhausted
        }
        self.init(
            key: original.key, value: original.value, originalHeaders: original.headers, reason: reason,
            message: failure.message, errorClass: failure.errorClass, errorCode: failure.code, attempts: attempts,
            firstFailure: firstFailure, lastFailure: lastFailure, sourceTopic: original.topic,
            sourcePartition: original.partition, sourceOffset: original.offset, instance: instance)
    }

    /// Reads a record consumed from the dead-letter topic; `nil` if it lacks the `dlq-reason` header
    /// (it was not written by a Processor).
    public init?(_ message: KafkaMessage) {
        guard let headers = DeadLetterHeaders.decode(message.headers.wire, timestamp: message.timestamp) else { return nil }
        self.init(
            key: message.key, value: message.value, originalHeaders: message.headers,
            reason: DeadLetterReason(rawValue: headers.reason) ?? .invalidBatch,
            message: headers.message, errorClass: headers.errorClass, errorCode: headers.errorCode, attempts: headers.attempts,
            firstFailure: headers.firstFailure, lastFailure: headers.lastFailure, sourceTopic: headers.sourceTopic,
            sourcePartition: headers.sourcePartition, sourceOffset: headers.sourceOffset, instance: headers.instance)
    }

    /// The session the record belongs to: its `session` header, else its key.
    public var session: String? {
        if let session = BatchHeaders.decode(originalHeaders.wire).session { return session }
        return key.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The campaign id from the original `campaign` header, as written there.
    public var campaign: String? {
        BatchHeaders.decode(originalHeaders.wire).campaign
    }

    /// The record to produce to the dead-letter topic.
    public func outgoing(topic: String) -> KafkaOutgoingMessage {
        let headers = originalHeaders + [KafkaHeader](wire: DeadLetterHeaders(
            reason: reason.rawValue, message: message, errorClass: errorClass, errorCode: errorCode, attempts: attempts,
            firstFailure: firstFailure, lastFailure: lastFailure, sourceTopic: sourceTopic, sourcePartition: sourcePartition,
            sourceOffset: sourceOffset, instance: instance
        ).encoded())
        return KafkaOutgoingMessage(topic: topic, key: key, value: value, headers: headers)
    }

    /// The original record again, to produce back to `topic` (its key keeps it on the session's
    /// partition). De-duplication by (session, seq) makes replaying twice harmless.
    public func replay(topic: String) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(topic: topic, key: key, value: value, headers: originalHeaders)
    }
}
