/// Reads a batch body with a ``JSONScanner``: the envelope's members into fields, each event's
/// `type` and `timestamp` checked as it passes, everything else stepped over (and checked).
struct EnvelopeParser: ~Copyable {
    var scanner: JSONScanner
    let limits: BatchLimits
    let nowMillis: Double

    private var key: String?
    private var session: String?
    private var seq: Int?
    private var events: (count: Int, first: Double, last: Double, range: Range<Int>)?
    /// Events whose type is beyond rrweb 1's 0–6 (rrweb 2 adds more): passed through, counted.
    private var newerTypes = 0
    /// Taken as events pass when asked for (the Processor's summary pass); nil otherwise.
    private var activity: BatchActivity?
    private var page: String??

    init(scanner: consuming JSONScanner, limits: BatchLimits, nowMillis: Double, observeActivity: Bool = false) {
        self.scanner = scanner
        if observeActivity { activity = BatchActivity() }
        self.limits = limits
        self.nowMillis = nowMillis
    }

    mutating func parse() throws(BatchValidationError) -> ValidatedBatch {
        scanner.skipWhitespace()
        guard scanner.consume(.openBrace) else {
            if scanner.atEnd { throw .malformed("the body is empty; send a JSON object with key, session, seq and events") }
            throw .malformed("the body must be a JSON object with key, session, seq and events")
        }
        if !scanner.consume(.closeBrace) {
            repeat {
                let name = try scanner.memberName()
                if scanner.string(name, equals: "events") {
                    try once(events == nil, "events")
                    events = try parseEvents()
                } else if scanner.string(name, equals: "key") {
                    try once(key == nil, "key")
                    key = try string("key")
                } else if scanner.string(name, equals: "session") {
                    try once(session == nil, "session")
                    session = try string("session")
                } else if scanner.string(name, equals: "seq") {
                    try once(seq == nil, "seq")
                    seq = try integer("seq", "must be an integer between 0 and 2^53")
                } else if scanner.string(name, equals: "page") {
                    try once(page == nil, "page")
                    page = .some(try parsePage())
                } else {
                    try scanner.skipValue()
                }
            } while try scanner.nextMember()
        }
        scanner.skipWhitespace()
        guard scanner.atEnd else { throw scanner.syntaxError("the end of the body after the batch object") }

        guard let key else { throw .invalidField("key", "is required") }
        guard let session else { throw .invalidField("session", "is required") }
        guard let seq else { throw .invalidField("seq", "is required") }
        guard let events else { throw .invalidField("events", "is required") }
        guard BatchValidator.isValidKey(key) else {
            throw .invalidField("key", "must be a campaign public key (pk_ followed by letters and digits)")
        }
        guard BatchValidator.isValidSessionID(session) else {
            throw .invalidField("session", "must be 1–64 characters of A–Z, a–z, 0–9, _ and -")
        }
        guard seq >= 0, seq <= BatchValidator.maxSeq else {
            throw .invalidField("seq", "must be an integer between 0 and 2^53")
        }
        guard events.count > 0 else { throw .invalidField("events", "must contain at least one event") }
        let pageURL = page ?? nil
        if let pageURL, pageURL.utf8.count > 4096 { throw .invalidField("page.url", "must be at most 4096 bytes") }
        var batch = ValidatedBatch(key: key, session: session, seq: seq, eventCount: events.count,
                                   firstTimestamp: events.first, lastTimestamp: events.last, pageURL: pageURL,
                                   eventsRange: events.range)
        batch.newerTypeEvents = newerTypes
        batch.activity = activity
        return batch
    }

    private func once(_ first: Bool, _ field: String) throws(BatchValidationError) {
        guard first else { throw .malformed("the member \"\(field)\" appears more than once; send it once") }
    }

    // MARK: envelope members

    private mutating func string(_ field: String) throws(BatchValidationError) -> String {
        switch scanner.peekKind() {
        case .string: return scanner.text(try scanner.scanString())
        case .null: throw .invalidField(field, "must be a string, not null")
        case .invalid: throw scanner.syntaxError("a value")
        default: throw .invalidField(field, "must be a string")
        }
    }

    private mutating func optionalString(_ field: String) throws(BatchValidationError) -> String? {
        if scanner.peekKind() == .null { try scanner.skipValue(); return nil }
        return try string(field)
    }

    private mutating func integer(_ field: String, _ expected: String) throws(BatchValidationError) -> Int {
        switch scanner.peekKind() {
        case .number:
            let token = try scanner.scanNumber()
            guard token.isInteger, let value = scanner.integer(token) else { throw .invalidField(field, expected) }
            return value
        case .null: throw .invalidField(field, "\(expected), not null")
        case .invalid: throw scanner.syntaxError("a value")
        default: throw .invalidField(field, expected)
        }
    }

    private mutating func parsePage() throws(BatchValidationError) -> String? {
        switch scanner.peekKind() {
        case .null:
            try scanner.skipValue()
            return nil
        case .object: break
        case .invalid: throw scanner.syntaxError("a value")
        default: throw .invalidField("page", "must be an object with url, referrer, width and height")
        }
        _ = scanner.consume(.openBrace)
        var url: String?
        if scanner.consume(.closeBrace) { return nil }
        repeat {
            let name = try scanner.memberName()
            if scanner.string(name, equals: "url") {
                url = try optionalString("page.url")
            } else if scanner.string(name, equals: "referrer") {
                _ = try optionalString("page.referrer")
            } else if scanner.string(name, equals: "width") || scanner.string(name, equals: "height") {
                let field = "page." + scanner.text(name)
                if scanner.peekKind() == .null { try scanner.skipValue() } else { _ = try integer(field, "must be an integer") }
            } else {
                try scanner.skipValue()
            }
        } while try scanner.nextMember()
        return url
    }

    // MARK: events

    private mutating func parseEvents() throws(BatchValidationError) -> (count: Int, first: Double, last: Double, range: Range<Int>) {
        switch scanner.peekKind() {
        case .array: break
        case .invalid: throw scanner.syntaxError("a value")
        case .null: throw .invalidField("events", "must be an array of rrweb events, not null")
        default: throw .invalidField("events", "must be an array of rrweb events")
        }
        let start = scanner.index
        _ = scanner.consume(.openBracket)
        var count = 0
        var first = Double.infinity, last = -Double.infinity
        if !scanner.consume(.closeBracket) {
            repeat {
                guard count < limits.maxEventsPerBatch else {
                    throw .invalidField("events", "has more than \(limits.maxEventsPerBatch) events; send at most \(limits.maxEventsPerBatch) per batch")
                }
                let timestamp = try parseEvent(count)
                first = min(first, timestamp)
                last = max(last, timestamp)
                count += 1
            } while try scanner.nextElement()
        }
        return (count, first, last, start..<scanner.index)
    }

    /// One event; returns its timestamp.
    private mutating func parseEvent(_ index: Int) throws(BatchValidationError) -> Double {
        switch scanner.peekKind() {
        case .object: break
        case .invalid: throw scanner.syntaxError("a value")
        default: throw .invalidField("events[\(index)]", "must be an object with type and timestamp")
        }
        _ = scanner.consume(.openBrace)
        var type: Int?
        var timestamp: Double?
        var data: Range<Int>?
        if !scanner.consume(.closeBrace) {
            repeat {
                let name = try scanner.memberName()
                if activity != nil, scanner.string(name, equals: "data") {
                    let start = scanner.index
                    try scanner.skipValue()
                    data = start..<scanner.index
                } else if scanner.string(name, equals: "type") {
                    try once(type == nil, "events[\(index)].type")
                    type = try integer("events[\(index)].type", "must be an rrweb event type (an integer ≥ 0)")
                } else if scanner.string(name, equals: "timestamp") {
                    try once(timestamp == nil, "events[\(index)].timestamp")
                    timestamp = try number("events[\(index)].timestamp")
                } else {
                    try scanner.skipValue()
                }
            } while try scanner.nextMember()
        }
        guard let type else { throw .invalidField("events[\(index)].type", "is required") }
        guard let timestamp else { throw .invalidField("events[\(index)].timestamp", "is required") }
        guard type >= 0 else {
            throw .invalidField("events[\(index)].type", "must be an rrweb event type (an integer ≥ 0), got \(type)")
        }
        if type > 6 { newerTypes += 1 }
        if activity != nil {
            ActivityReader.read(type: type, timestamp: timestamp, data: data.map { UnsafeRawBufferPointer(scanner.bytes($0)) },
                                into: &activity!)
        }
        let skew = Double(limits.timestampSkew.components.seconds) * 1000
        guard timestamp.isFinite, abs(timestamp - nowMillis) <= skew else {
            throw .invalidField(
                "events[\(index)].timestamp",
                "must be milliseconds since 1970 within \(Int(skew / 86_400_000)) days of the server clock, got \(timestamp)")
        }
        return timestamp
    }

    private mutating func number(_ field: String) throws(BatchValidationError) -> Double {
        switch scanner.peekKind() {
        case .number: return scanner.double(try scanner.scanNumber())
        case .null: throw .invalidField(field, "must be a number, not null")
        case .invalid: throw scanner.syntaxError("a value")
        default: throw .invalidField(field, "must be a number")
        }
    }
}
