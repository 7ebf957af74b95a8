import Foundation
import Kafka

/// A record in the dead-letter topic: the original key, value and headers, plus `dlq-*` headers
/// that say why, how often, when and from where.
///
/// | header | value |
/// | --- | --- |
/// | `dlq-reason` | a ``DeadLetterReason`` raw value |
/// | `dlq-message` | what went wrong, for people |
/// | `dlq-error-class` | the Swift error type, e.g. `BatchValidationError` |
/// | `dlq-error-code` | the error's stable code |
/// | `dlq-attempts` | how often processing was tried |
/// | `dlq-first-failure`, `dlq-last-failure` | ms since 1970 |
/// | `dlq-source-topic`, `dlq-source-partition`, `dlq-source-offset` | where the record was consumed |
/// | `dlq-instance` | the Processor instance that dead-lettered it |
public struct DeadLetterRecord: Sendable, Equatable {
    public enum Header {
        public static let reason = "dlq-reason"
        public static let message = "dlq-message"
        public static let errorClass = "dlq-error-class"
        public static let errorCode = "dlq-error-code"
        public static let attempts = "dlq-attempts"
        public static let firstFailure = "dlq-first-failure"
        public static let lastFailure = "dlq-last-failure"
        public static let sourceTopic = "dlq-source-topic"
        public static let sourcePartition = "dlq-source-partition"
        public static let sourceOffset = "dlq-source-offset"
        public static let instance = "dlq-instance"
        /// The prefix every dead-letter header shares; stripped again on replay.
        public static let prefix = "dlq-"
    }

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
        self.originalHeaders = originalHeaders.filter { !$0.key.hasPrefix(Header.prefix) }
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
        func text(_ name: String) -> String? { message.header(name).map { String(decoding: $0, as: UTF8.self) } }
        func date(_ name: String) -> Date? {
            text(name).flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) }
        }
        guard let reasonText = text(Header.reason) else { return nil }
        self.init(
            key: message.key, value: message.value, originalHeaders: message.headers,
            reason: DeadLetterReason(rawValue: reasonText) ?? .invalidBatch,
            message: text(Header.message) ?? "", errorClass: text(Header.errorClass) ?? "",
            errorCode: text(Header.errorCode) ?? reasonText, attempts: text(Header.attempts).flatMap { Int($0) } ?? 1,
            firstFailure: date(Header.firstFailure) ?? message.timestamp ?? Date(timeIntervalSince1970: 0),
            lastFailure: date(Header.lastFailure) ?? message.timestamp ?? Date(timeIntervalSince1970: 0),
            sourceTopic: text(Header.sourceTopic) ?? "", sourcePartition: text(Header.sourcePartition).flatMap { Int32($0) } ?? -1,
            sourceOffset: text(Header.sourceOffset).flatMap { Int64($0) } ?? -1, instance: text(Header.instance) ?? "")
    }

    /// The session the record belongs to: its `session` header, else its key.
    public var session: String? {
        if let header = originalHeaders.first(where: { $0.key == "session" }) { return String(decoding: header.value, as: UTF8.self) }
        return key.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The campaign id from the original `campaign` header, as written there.
    public var campaign: String? {
        originalHeaders.first { $0.key == "campaign" }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    /// The record to produce to the dead-letter topic.
    public func outgoing(topic: String) -> KafkaOutgoingMessage {
        func header(_ name: String, _ value: String) -> KafkaHeader { KafkaHeader(key: name, value: Array(value.utf8)) }
        let headers = originalHeaders + [
            header(Header.reason, reason.rawValue),
            header(Header.message, String(message.prefix(2048))),
            header(Header.errorClass, errorClass),
            header(Header.errorCode, errorCode),
            header(Header.attempts, String(attempts)),
            header(Header.firstFailure, String(Self.millis(firstFailure))),
            header(Header.lastFailure, String(Self.millis(lastFailure))),
            header(Header.sourceTopic, sourceTopic),
            header(Header.sourcePartition, String(sourcePartition)),
            header(Header.sourceOffset, String(sourceOffset)),
            header(Header.instance, instance),
        ]
        return KafkaOutgoingMessage(topic: topic, key: key, value: value, headers: headers)
    }

    /// The original record again, to produce back to `topic` (its key keeps it on the session's
    /// partition). De-duplication by (session, seq) makes replaying twice harmless.
    public func replay(topic: String) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(topic: topic, key: key, value: value, headers: originalHeaders)
    }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}
