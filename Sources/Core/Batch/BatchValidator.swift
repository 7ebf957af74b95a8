import Foundation

/// What the Collector learned about a batch while validating it.
public struct ValidatedBatch: Sendable, Equatable {
    public init(key: String, session: String, seq: Int, eventCount: Int, firstTimestamp: Double, lastTimestamp: Double, pageURL: String?) {
        self.key = key; self.session = session; self.seq = seq; self.eventCount = eventCount
        self.firstTimestamp = firstTimestamp; self.lastTimestamp = lastTimestamp; self.pageURL = pageURL
    }

    public var key: String
    public var session: String
    public var seq: Int
    public var eventCount: Int
    public var firstTimestamp: Double
    public var lastTimestamp: Double
    public var pageURL: String?
}

/// Limits a batch must respect.
public struct BatchLimits: Sendable {
    /// Largest number of events in one batch.
    public var maxEventsPerBatch: Int = 10_000
    /// Event timestamps must lie within this distance of the server clock.
    public var timestampSkew: Duration = .seconds(7 * 86_400)
    public init() {}
}

/// Why a batch is invalid: the field, and what is expected. The Collector answers 400 with it; the
/// Processor dead-letters the record with it.
public struct BatchValidationError: UserFacingError, Equatable {
    public var code: String
    public var message: String

    static func malformed(_ message: String) -> Self { .init(code: "malformed_batch", message: message) }
    static func invalidField(_ field: String, _ problem: String) -> Self {
        .init(code: "invalid_field", message: "\(field) \(problem)")
    }
}

/// The rules a batch must follow, as pure functions (unit-tested without I/O). Every failure names
/// the field and says what is expected.
public enum BatchValidator {
    static let maxSeq = 1 << 53

    public static func validate(_ body: Data, now: Date, limits: BatchLimits = BatchLimits()) throws(BatchValidationError) -> ValidatedBatch {
        let configuration = limits
        let envelope: BatchEnvelope
        do {
            envelope = try JSONDecoder().decode(BatchEnvelope.self, from: body)
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw BatchValidationError.malformed("the body is not a JSON batch: \(error)")
        }

        guard isValidKey(envelope.key) else {
            throw BatchValidationError.invalidField("key", "must be a campaign public key (pk_ followed by letters and digits)")
        }
        guard isValidSessionID(envelope.session) else {
            throw BatchValidationError.invalidField("session", "must be 1–64 characters of A–Z, a–z, 0–9, _ and -")
        }
        guard envelope.seq >= 0, envelope.seq <= maxSeq else {
            throw BatchValidationError.invalidField("seq", "must be an integer between 0 and 2^53")
        }
        guard !envelope.events.isEmpty else {
            throw BatchValidationError.invalidField("events", "must contain at least one event")
        }
        guard envelope.events.count <= configuration.maxEventsPerBatch else {
            throw BatchValidationError.invalidField("events", "has \(envelope.events.count) events; at most \(configuration.maxEventsPerBatch) per batch")
        }
        let nowMillis = now.timeIntervalSince1970 * 1000
        let skew = Double(configuration.timestampSkew.components.seconds) * 1000
        var first = Double.infinity, last = -Double.infinity
        for (index, event) in envelope.events.enumerated() {
            guard (0...6).contains(event.type) else {
                throw BatchValidationError.invalidField("events[\(index)].type", "must be an rrweb event type 0–6, got \(event.type)")
            }
            guard event.timestamp.isFinite, abs(event.timestamp - nowMillis) <= skew else {
                throw BatchValidationError.invalidField(
                    "events[\(index)].timestamp",
                    "must be milliseconds since 1970 within \(Int(skew / 86_400_000)) days of the server clock, got \(event.timestamp)")
            }
            first = min(first, event.timestamp)
            last = max(last, event.timestamp)
        }
        if let url = envelope.page?.url, url.utf8.count > 4096 {
            throw BatchValidationError.invalidField("page.url", "must be at most 4096 bytes")
        }
        return ValidatedBatch(
            key: envelope.key, session: envelope.session, seq: envelope.seq, eventCount: envelope.events.count,
            firstTimestamp: first, lastTimestamp: last, pageURL: envelope.page?.url)
    }

    public static func isValidSessionID(_ id: String) -> Bool {
        let utf8 = id.utf8
        return (1...64).contains(utf8.count) && utf8.allSatisfy(isIDByte)
    }

    public static func isValidKey(_ key: String) -> Bool {
        let utf8 = key.utf8
        return key.hasPrefix("pk_") && (8...80).contains(utf8.count)
            && utf8.dropFirst(3).allSatisfy { isIDByte($0) && $0 != UInt8(ascii: "-") }
    }

    static func isIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// Turns a decoding failure into "events[3].timestamp must be a number"-style messages.
    static func describe(_ error: DecodingError) -> BatchValidationError {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            var text = ""
            for key in codingPath + (last.map { [$0] } ?? []) {
                if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .invalidField(path(context.codingPath, key), "is required")
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            if field.isEmpty { return .malformed("the body must be a JSON object with key, session, seq and events") }
            return .invalidField(field, "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return .invalidField(path(context.codingPath), "must be \(describe(type)), not null")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty {
                return .malformed("the body is not valid JSON (\(context.underlyingError.map { "\($0)" } ?? context.debugDescription))")
            }
            return .invalidField(field, "is invalid: \(context.debugDescription)")
        @unknown default:
            return .malformed("the body is not a valid batch")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "an integer"
        case is Double.Type: return "a number"
        case is String.Type: return "a string"
        case is [BatchEnvelope.Event].Type: return "an array of rrweb events"
        default: return "an object"
        }
    }
}
