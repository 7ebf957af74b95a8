import Foundation

/// What validation learned about a batch: the envelope's fields, the events' count and time span,
/// and where the `events` array lies in the body (the Processor spools those bytes as they are).
public struct ValidatedBatch: Sendable, Equatable {
    public init(key: String, session: String, seq: Int, eventCount: Int, firstTimestamp: Double, lastTimestamp: Double,
                pageURL: String?, eventsRange: Range<Int>) {
        self.key = key; self.session = session; self.seq = seq; self.eventCount = eventCount
        self.firstTimestamp = firstTimestamp; self.lastTimestamp = lastTimestamp; self.pageURL = pageURL
        self.eventsRange = eventsRange
    }

    public var key: String
    public var session: String
    public var seq: Int
    public var eventCount: Int
    public var firstTimestamp: Double
    public var lastTimestamp: Double
    public var pageURL: String?
    /// The byte range of the `events` array (brackets included) in the validated body.
    public var eventsRange: Range<Int>
    /// Events of a type rrweb 1 does not have (beyond 6; rrweb 2 adds e.g. Asset), kept as they are.
    public var newerTypeEvents = 0
    /// What the events say about the visitor's activity, when validation was asked to observe it.
    public var activity: BatchActivity?
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

/// The rules a batch follows, checked in one pass over its bytes (pure; unit-tested without I/O):
///
/// `{"key": "pk_…", "session": "<1–64 of A–Z a–z 0–9 _ ->", "seq": <0…2^53>,
///   "events": [{"type": <integer ≥ 0: rrweb's 0–6 and any later type>, "timestamp": <ms since 1970 within the skew>, …}, …],
///   "page": {"url", "referrer", "width", "height"}?}`
///
/// The whole body must be strict JSON (UTF-8, RFC 8259); members it does not know are checked and
/// kept. Envelope members may appear once. Every failure names the field and says what is expected.
public enum BatchValidator {
    static let maxSeq = 1 << 53

    /// `observeActivity`: also take ``ValidatedBatch/activity`` in the same pass (the Processor does,
    /// for session summaries; the Collector does not).
    public static func validate(_ body: UnsafeRawBufferPointer, now: Date, limits: BatchLimits = BatchLimits(),
                                observeActivity: Bool = false) throws(BatchValidationError) -> ValidatedBatch {
        var parser = EnvelopeParser(scanner: JSONScanner(body), limits: limits, nowMillis: now.timeIntervalSince1970 * 1000,
                                    observeActivity: observeActivity)
        return try parser.parse()
    }

    public static func validate(_ body: [UInt8], now: Date, limits: BatchLimits = BatchLimits(),
                                observeActivity: Bool = false) throws(BatchValidationError) -> ValidatedBatch {
        try body.withUnsafeBytes { bytes in
            Result { () throws(BatchValidationError) in try validate(bytes, now: now, limits: limits, observeActivity: observeActivity) }
        }.get()
    }

    public static func validate(_ body: Data, now: Date, limits: BatchLimits = BatchLimits()) throws(BatchValidationError) -> ValidatedBatch {
        try body.withUnsafeBytes { bytes in
            Result { () throws(BatchValidationError) in try validate(bytes, now: now, limits: limits) }
        }.get()
    }

    /// The activity of an events array on its own (a line of a segment recovered after a crash),
    /// its timestamps checked around `millis` instead of the clock; nil when it does not validate.
    public static func activity(ofEvents events: [UInt8], near millis: Double, limits: BatchLimits = BatchLimits()) -> BatchActivity? {
        var body = Array(#"{"key":"pk_recovered","session":"recovered","seq":0,"events":"#.utf8)
        body += events
        body.append(UInt8(ascii: "}"))
        return try? validate(body, now: Date(timeIntervalSince1970: millis / 1000), limits: limits, observeActivity: true).activity
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
}
