@testable import Core
import Foundation
import TestSupport
import Testing

@Suite struct BatchValidatorTests {
    static let now = Date(timeIntervalSince1970: 1_764_000_000)
    static let nowMillis = 1_764_000_000_000

    static func body(events: String = #"[{"type":2,"data":{},"timestamp":\#(nowMillis)}]"#,
                     key: String = #""pk_abcdefgh""#, session: String = #""s-1""#, seq: String = "0", extra: String = "") -> [UInt8] {
        Array(#"{"key":\#(key),"session":\#(session),"seq":\#(seq),"events":\#(events)\#(extra)}"#.utf8)
    }

    func validate(_ body: [UInt8], limits: BatchLimits = BatchLimits()) throws(BatchValidationError) -> ValidatedBatch {
        try BatchValidator.validate(body, now: Self.now, limits: limits)
    }

    func refusal(_ body: [UInt8], limits: BatchLimits = BatchLimits()) -> BatchValidationError? {
        do { _ = try validate(body, limits: limits); return nil } catch { return error }
    }

    @Test func readsTheEnvelope() throws {
        let events = #"[ {"type":4,"data":{"href":"x"},"timestamp":\#(Self.nowMillis - 5)} , {"timestamp":\#(Self.nowMillis).5,"type":3} ]"#
        let body = Self.body(events: events, seq: "42", extra: #","page":{"url":"https:\/\/shop.example\/?q=\u00e4","referrer":null,"width":1280,"height":null,"other":[1]},"x":{"y":[true,false,null]}"#)
        let batch = try validate(body)
        #expect(batch.key == "pk_abcdefgh")
        #expect(batch.session == "s-1")
        #expect(batch.seq == 42)
        #expect(batch.eventCount == 2)
        #expect(batch.firstTimestamp == Double(Self.nowMillis - 5))
        #expect(batch.lastTimestamp == Double(Self.nowMillis) + 0.5)
        #expect(batch.pageURL == "https://shop.example/?q=ä")
        #expect(String(decoding: body[batch.eventsRange], as: UTF8.self) == events.trimmingCharacters(in: .whitespaces))
    }

    @Test func escapedMemberNamesAndWhitespace() throws {
        let body = Array("\n{ \"k\\u0065y\" : \"pk_abcdefgh\",\r\n\t\"session\":\"s\", \"seq\" : 7 ,\"ev\\u0065nts\" :\n[{\"type\":0,\"timestamp\":\(Self.nowMillis)}] }\n ".utf8)
        let batch = try validate(body)
        #expect(batch.key == "pk_abcdefgh" && batch.seq == 7 && batch.eventCount == 1)
        #expect(String(decoding: body[batch.eventsRange], as: UTF8.self) == "[{\"type\":0,\"timestamp\":\(Self.nowMillis)}]")
    }

    @Test func acceptsEveryFixtureRecording() throws {
        let directory = TestStack.fixturesDirectory
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 4)
        for file in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            let events = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
            let timestamps = events.compactMap { ($0["timestamp"] as? NSNumber)?.doubleValue }
            #expect(timestamps.count == events.count)
            let body = Array(#"{"key":"pk_abcdefgh","session":"s","seq":0,"events":"#.utf8) + Array(data) + Array("}".utf8)
            var limits = BatchLimits()
            limits.maxEventsPerBatch = events.count
            let batch = try BatchValidator.validate(body, now: Date(timeIntervalSince1970: timestamps[0] / 1000), limits: limits)
            #expect(batch.eventCount == events.count, "\(file)")
            #expect(batch.firstTimestamp == timestamps.min() && batch.lastTimestamp == timestamps.max(), "\(file)")
            let extracted = try JSONSerialization.jsonObject(with: Data(body[batch.eventsRange]))
            #expect((extracted as? NSArray) == (events as NSArray), "\(file)")
        }
    }

    @Test(arguments: [
        ("", "malformed_batch", "empty"),
        ("[1]", "malformed_batch", "must be a JSON object"),
        (#"{"key":"pk_"#, "malformed_batch", "truncated"),
        (#"{"key": nope"#, "malformed_batch", "expected a value at byte 8"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[{"type":2,"timestamp":1764000000000}],"page":nul}"#, "malformed_batch", "expected a value"),
        (#"{"key":"pk_abcdefgh","session":"s1","events":[]}"#, "invalid_field", "seq is required"),
        (#"{"session":"s1","seq":0,"events":[]}"#, "invalid_field", "key is required"),
        (#"{"key":"pk_abcdefgh","seq":0,"events":[]}"#, "invalid_field", "session is required"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0}"#, "invalid_field", "events is required"),
        (#"{"key":7,"session":"s1","seq":0,"events":[]}"#, "invalid_field", "key must be a string"),
        (#"{"key":"pk_abcdefgh","session":null,"seq":0,"events":[]}"#, "invalid_field", "session must be a string, not null"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":"0","events":[]}"#, "invalid_field", "seq must be an integer"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":1.5,"events":[]}"#, "invalid_field", "seq must be an integer"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":-1,"events":[{"type":2,"timestamp":1764000000000}]}"#, "invalid_field", "seq must be an integer between 0 and 2^53"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":99999999999999999999,"events":[{"type":2,"timestamp":1764000000000}]}"#, "invalid_field", "seq must be"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":{}}"#, "invalid_field", "events must be an array"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[]}"#, "invalid_field", "events must contain at least one event"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[3]}"#, "invalid_field", "events[0] must be an object"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[{"timestamp":1764000000000}]}"#, "invalid_field", "events[0].type is required"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[{"type":2}]}"#, "invalid_field", "events[0].timestamp is required"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[{"type":2,"timestamp":1764000000000},{"type":-1,"timestamp":1764000000000}]}"#, "invalid_field", "events[1].type must be an rrweb event type (an integer ≥ 0), got -1"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[{"type":"2","timestamp":1764000000000}]}"#, "invalid_field", "events[0].type must be"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[{"type":2,"timestamp":"now"}]}"#, "invalid_field", "events[0].timestamp must be a number"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[{"type":2,"timestamp":1000}]}"#, "invalid_field", "events[0].timestamp must be milliseconds since 1970 within 7 days"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[{"type":2,"timestamp":1e400}]}"#, "invalid_field", "events[0].timestamp must be milliseconds"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[{"type":2,"type":3,"timestamp":1764000000000}]}"#, "malformed_batch", "\"events[0].type\" appears more than once"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"seq":1,"events":[{"type":2,"timestamp":1764000000000}]}"#, "malformed_batch", "\"seq\" appears more than once"),
        (#"{"key":"pk-abcdefgh","session":"s1","seq":0,"events":[{"type":2,"timestamp":1764000000000}]}"#, "invalid_field", "key must be a campaign public key"),
        (#"{"key":"pk_abcdefgh","session":"no spaces","seq":0,"events":[{"type":2,"timestamp":1764000000000}]}"#, "invalid_field", "session must be 1–64 characters"),
        (#"{"key":"pk_abcdefgh","session":"","seq":0,"events":[{"type":2,"timestamp":1764000000000}]}"#, "invalid_field", "session must be 1–64 characters"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[{"type":2,"timestamp":1764000000000}],"page":"x"}"#, "invalid_field", "page must be an object"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[{"type":2,"timestamp":1764000000000}],"page":{"url":5}}"#, "invalid_field", "page.url must be a string"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[{"type":2,"timestamp":1764000000000}],"page":{"width":"wide"}}"#, "invalid_field", "page.width must be an integer"),
        (#"{"key":"pk_abcdefgh","session":"s1","seq":0,"events":[{"type":2,"timestamp":1764000000000}]} x"#, "malformed_batch", "expected the end of the body after the batch object at byte"),
    ])
    func refusesWithSpecificErrors(body: String, code: String, message: String) {
        let error = refusal(Array(body.utf8))
        #expect(error?.code == code, "\(body)")
        #expect(error?.message.contains(message) == true, "\(body): \(error?.message ?? "accepted")")
    }

    @Test func pageURLLimitAndEventCountLimit() {
        let longURL = #","page":{"url":"https://x.example/\#(String(repeating: "a", count: 4100))"}"#
        #expect(refusal(Self.body(extra: longURL))?.message == "page.url must be at most 4096 bytes")
        var limits = BatchLimits()
        limits.maxEventsPerBatch = 2
        let event = #"{"type":3,"timestamp":\#(Self.nowMillis)}"#
        #expect(refusal(Self.body(events: "[\(event),\(event)]"), limits: limits) == nil)
        #expect(refusal(Self.body(events: "[\(event),\(event),\(event)]"), limits: limits)?.message
                == "events has more than 2 events; send at most 2 per batch")
    }

    /// Values inside an event's `data` that strict JSON refuses; each must fail as malformed.
    @Test(arguments: [
        "[1,]", "{\"a\":1,}", "[01]", "[1.]", "[.5]", "[+1]", "[-]", "[1e]", "[1e+]", "NaN", "Infinity", "[tru]", "nul",
        "{a:1}", "{'a':1}", "['a']", "\"tab\there\"", "\"\\x41\"", "\"\\u12\"", "\"\\u12G4\"", "[1 2]", "{\"a\" 1}",
        "{\"a\":1 \"b\":2}", "[1]]", "[", "{", "\"unterminated", "/* c */ 1", "[1,,2]", "{,}", "[,1]", "{\"a\"}", "-01",
    ])
    func refusesInvalidJSON(data: String) {
        let body = Self.body(events: #"[{"type":3,"data":\#(data),"timestamp":\#(Self.nowMillis)}]"#)
        let error = refusal(body)
        #expect(error?.code == "malformed_batch", "\(data): \(error?.message ?? "accepted")")
    }

    @Test(arguments: [
        [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x80, 0x80, 0x80],
        [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0x80], [0xBF], [0xC3], [0xE2, 0x82], [0xFF],
    ] as [[UInt8]])
    func refusesInvalidUTF8(sequence: [UInt8]) {
        var body = Self.body(events: #"[{"type":3,"data":"abcdefghijXYZ","timestamp":\#(Self.nowMillis)}]"#)
        let at = body.firstIndex(of: UInt8(ascii: "X"))!
        body.replaceSubrange(at..<at + 1, with: sequence)
        #expect(refusal(body)?.message.contains("not valid UTF-8") == true, "\(sequence)")
    }

    @Test func acceptsEveryJSONConstruct() throws {
        let data = #"{"s":"\" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00 é 😀 € ߿ 𐀀","n":[0,-0,1,-1,0.5,-0.5e-3,1E+5,1e5,123456789012345678901234567890],"l":[true,false,null],"e":[{},[],{"":[]}]}"#
        let batch = try validate(Self.body(events: #"[{"type":3,"data":\#(data),"timestamp":\#(Self.nowMillis)}]"#))
        #expect(batch.eventCount == 1)
    }

    @Test func nestingIsBoundedAndIterative() throws {
        func nested(_ depth: Int) -> [UInt8] {
            Self.body(events: #"[{"type":3,"data":\#(String(repeating: "[", count: depth))\#(String(repeating: "]", count: depth)),"timestamp":\#(Self.nowMillis)}]"#)
        }
        #expect(refusal(nested(JSONScanner.maxDepth)) == nil)
        #expect(refusal(nested(JSONScanner.maxDepth + 1))?.message.contains("deeper than") == true)
        #expect(refusal(nested(200_000))?.code == "malformed_batch")
    }

    /// The eight-bytes-at-a-time test agrees with the byte-by-byte rule: every byte value at every
    /// position, and random words.
    @Test func wordScanMatchesByteRule() {
        func rule(_ byte: UInt8) -> Bool { byte == 0x22 || byte == 0x5C || byte < 0x20 || byte >= 0x80 }
        for position in 0..<8 {
            for value in 0...255 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                bytes[position] = UInt8(value)
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                #expect(JSONScanner.needsAttention(word) == rule(UInt8(value)), "byte \(value) at \(position)")
            }
        }
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<100_000 {
            let bytes = (0..<8).map { _ in UInt8.random(in: 0x1E...0x7F, using: &generator) }
            let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            #expect(JSONScanner.needsAttention(word) == bytes.contains(where: rule))
        }
    }

    /// Random one- and two-byte edits of a JSON document: the scanner accepts exactly what Python's
    /// strict `json` module accepts (RFC 8259 with NaN/Infinity refused). Foundation's
    /// JSONSerialization is no oracle here: it accepts trailing commas in objects.
    @Test func agreesWithAStrictParserOnMutations() throws {
        let document = Array(#"{"a":[1,-2.5e3,true,false,null,{"b":"c\"d\\e\u0041é"}],"f":{"g":[[],{}],"h":"x y"},"i":0}"#.utf8)
        let alphabet = Array(#"{}[],:"\ 0123456789.-+eEtrufalsnNI"#.utf8) + [0x09, 0x0A, 0x41, 0xC3, 0xA9, 0x01, 0xFF]
        var generator = SeededGenerator(seed: 42)
        var documents: [[UInt8]] = []
        for _ in 0..<20_000 {
            var mutated = document
            for _ in 0..<Int.random(in: 1...2, using: &generator) {
                let at = Int.random(in: 0..<mutated.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: mutated.remove(at: at)
                case 1: mutated.insert(alphabet.randomElement(using: &generator)!, at: at)
                default: mutated[at] = alphabet.randomElement(using: &generator)!
                }
            }
            documents.append(mutated)
        }
        let ours = documents.map { document in
            document.withUnsafeBytes { bytes -> Bool in
                var scanner = JSONScanner(bytes)
                do { try scanner.skipValue() } catch { return false }
                scanner.skipWhitespace()
                return scanner.atEnd
            }
        }
        let strict = try Self.pythonVerdicts(documents)
        let disagreements = documents.indices.filter { ours[$0] != strict[$0] }.map {
            "\(String(decoding: documents[$0], as: UTF8.self)) ours \(ours[$0]) python \(strict[$0])"
        }
        #expect(ours.contains(true) && ours.contains(false))
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
    }

    /// Python's verdict for each document (hex lines in, one 0/1 per line out).
    static func pythonVerdicts(_ documents: [[UInt8]]) throws -> [Bool] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("json-oracle-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in"), output = directory.appendingPathComponent("out")
        try documents.map { $0.map { String(format: "%02x", $0) }.joined() }.joined(separator: "\n").write(to: input, atomically: true, encoding: .utf8)
        let script = """
            import json, sys
            def refuse(name): raise ValueError(name)
            out = []
            for line in open(sys.argv[1]):
                try:
                    json.loads(bytes.fromhex(line.strip()).decode("utf-8"), parse_constant=refuse)
                    out.append("1")
                except Exception:
                    out.append("0")
            open(sys.argv[2], "w").write("\\n".join(out))
            """
        let scriptFile = directory.appendingPathComponent("oracle.py")
        try script.write(to: scriptFile, atomically: true, encoding: .utf8)
        let result = try shell("python3 '\(scriptFile.path)' '\(input.path)' '\(output.path)'")
        guard result.status == 0 else { throw NSError(domain: "oracle", code: 1, userInfo: [NSLocalizedDescriptionKey: result.output]) }
        let verdicts = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map { $0 == "1" }
        guard verdicts.count == documents.count else { throw NSError(domain: "oracle", code: 2) }
        return verdicts
    }
}

/// SplitMix64: reproducible randomness for the mutation tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
