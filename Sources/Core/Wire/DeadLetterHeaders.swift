import Foundation

/// The `dlq-*` headers a Processor adds to a record it dead-letters (after the original record's
/// own headers): the one definition of their names and encoding. Every value is UTF-8 text.
///
/// | header | value |
/// | --- | --- |
/// | `dlq-reason` | why, a stable code (e.g. `invalid_batch`, `retries_exhausted`) |
/// | `dlq-message` | what went wrong, for people (at most 2,048 characters) |
/// | `dlq-error-class` | the Swift error type, e.g. `BatchValidationError` |
/// | `dlq-error-code` | the error's stable code |
/// | `dlq-attempts` | how often processing was tried |
/// | `dlq-first-failure`, `dlq-last-failure` | ms since 1970 |
/// | `dlq-source-topic`, `dlq-source-partition`, `dlq-source-offset` | where the record was consumed |
/// | `dlq-instance` | the Processor instance that dead-lettered it |
public struct DeadLetterHeaders: Sendable, Equatable {
    public enum Name {
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
    }

    /// The prefix every dead-letter header shares; stripped again on replay.
    public static let prefix = "dlq-"
    /// Longest `dlq-message` written.
    public static let maxMessageLength = 2048

    public var reason: String
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
        reason: String, message: String, errorClass: String, errorCode: String, attempts: Int, firstFailure: Date,
        lastFailure: Date, sourceTopic: String, sourcePartition: Int32, sourceOffset: Int64, instance: String
    ) {
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

    /// The `dlq-*` headers, in the order a Processor writes them.
    public func encoded() -> [WireHeader] {
        func text(_ name: String, _ value: String) -> WireHeader { (name, Array(value.utf8)) }
        return [
            text(Name.reason, reason),
            text(Name.message, String(message.prefix(Self.maxMessageLength))),
            text(Name.errorClass, errorClass),
            text(Name.errorCode, errorCode),
            text(Name.attempts, String(attempts)),
            text(Name.firstFailure, String(Self.millis(firstFailure))),
            text(Name.lastFailure, String(Self.millis(lastFailure))),
            text(Name.sourceTopic, sourceTopic),
            text(Name.sourcePartition, String(sourcePartition)),
            text(Name.sourceOffset, String(sourceOffset)),
            text(Name.instance, instance),
        ]
    }

    /// Reads the `dlq-*` headers of a consumed dead letter; nil without `dlq-reason` (a record no
    /// Processor wrote). Missing or malformed fields get neutral values; failure times fall back
    /// to `timestamp` (the record's own), else the epoch.
    public static func decode(_ headers: some Sequence<WireHeader>, timestamp: Date? = nil) -> DeadLetterHeaders? {
        var found: [String: String] = [:]
        for header in headers where header.name.hasPrefix(prefix) && found[header.name] == nil {
            found[header.name] = String(decoding: header.value, as: UTF8.self)
        }
        guard let reason = found[Name.reason] else { return nil }
        func date(_ name: String) -> Date? {
            found[name].flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) }
        }
        return DeadLetterHeaders(
            reason: reason, message: found[Name.message] ?? "", errorClass: found[Name.errorClass] ?? "",
            errorCode: found[Name.errorCode] ?? reason, attempts: found[Name.attempts].flatMap { Int($0) } ?? 1,
            firstFailure: date(Name.firstFailure) ?? timestamp ?? Date(timeIntervalSince1970: 0),
            lastFailure: date(Name.lastFailure) ?? timestamp ?? Date(timeIntervalSince1970: 0),
            sourceTopic: found[Name.sourceTopic] ?? "", sourcePartition: found[Name.sourcePartition].flatMap { Int32($0) } ?? -1,
            sourceOffset: found[Name.sourceOffset].flatMap { Int64($0) } ?? -1, instance: found[Name.instance] ?? "")
    }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}
