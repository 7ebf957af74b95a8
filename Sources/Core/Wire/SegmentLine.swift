/// One batch in a segment (a gzip member stream of lines; see docs/architecture.md, S3 layout): the
/// one definition of the line format, written by the spool and the benchmarks and read by segment
/// recovery and playback.
///
/// `{"seq":<seq>,"events":<the batch's rrweb events, a JSON array>}` followed by `\n`. Raw CR/LF
/// bytes in the events (insignificant whitespace in valid JSON) become spaces, so a batch is always
/// one line. Readers accept whitespace around the tokens.
public enum SegmentLine {
    public enum Key {
        public static let seq = "seq"
        public static let events = "events"
    }

    /// The format in a sentence, for API answers that hand segments out.
    public static let formatDescription = "gzip; one line per batch: {\"\(Key.seq)\":<n>,\"\(Key.events)\":[…]}"

    /// What ends every line: the object's `}` and the newline.
    public static let suffix: [UInt8] = Array("}\n".utf8)

    /// The bytes before the events: `{"seq":<seq>,"events":`.
    public static func prefix(seq: Int) -> [UInt8] {
        Array("{\"\(Key.seq)\":\(seq),\"\(Key.events)\":".utf8)
    }

    /// The events JSON with raw CR/LF replaced by spaces (a copy only when there are any); `[]` for
    /// no bytes.
    public static func singleLine(_ events: [UInt8]) -> [UInt8] {
        if events.isEmpty { return Array("[]".utf8) }
        guard events.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return events }
        return events.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }
    }

    /// A whole line: prefix, the events on one line, suffix.
    public static func encode(seq: Int, events: [UInt8]) -> [UInt8] {
        prefix(seq: seq) + singleLine(events) + suffix
    }

    /// A decoded line: its seq and where its events array lies in the line's bytes.
    public struct Parsed: Sendable, Equatable {
        public var seq: Int64
        /// Offsets in the line of the events array's `[` and of the byte after its `]`.
        public var eventsStart: Int
        public var eventsEnd: Int
    }

    /// Parses one complete line (with or without its trailing newline); nil when it is not a
    /// segment line.
    public static func decode(_ line: [UInt8]) -> Parsed? {
        guard let (seq, open) = parseHead(line),
              let close = closingBracket(line, lineLength: Int64(line.count)), Int64(open) <= close
        else { return nil }
        return Parsed(seq: seq, eventsStart: open, eventsEnd: Int(close) + 1)
    }

    /// Parses the start of a line, `{"seq":<digits>,"events":`, and returns the seq and the offset of
    /// the events array's `[`. `head` may be only the first bytes of a long line.
    public static func parseHead(_ head: [UInt8]) -> (Int64, Int)? {
        var index = 0
        func skipSpace() { while index < head.count, isWhitespace(head[index]) { index += 1 } }
        func expect(_ text: String) -> Bool {
            for byte in text.utf8 {
                guard index < head.count, head[index] == byte else { return false }
                index += 1
            }
            return true
        }
        skipSpace()
        guard expect("{") else { return nil }
        skipSpace()
        guard expect("\"\(Key.seq)\"") else { return nil }
        skipSpace()
        guard expect(":") else { return nil }
        skipSpace()
        var seq: Int64 = 0
        var digits = 0
        while index < head.count, head[index] >= UInt8(ascii: "0"), head[index] <= UInt8(ascii: "9") {
            let (times, overflow1) = seq.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(head[index] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            seq = sum
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        skipSpace()
        guard expect(",") else { return nil }
        skipSpace()
        guard expect("\"\(Key.events)\"") else { return nil }
        skipSpace()
        guard expect(":") else { return nil }
        skipSpace()
        guard index < head.count, head[index] == UInt8(ascii: "[") else { return nil }
        return (seq, index)
    }

    /// The offset (from the line start) of the `]` that closes the events array, given the line's
    /// last bytes `tail` and its length: the line must end in `]` `}` with only whitespace around.
    public static func closingBracket(_ tail: [UInt8], lineLength: Int64) -> Int64? {
        var index = tail.count - 1
        while index >= 0, isWhitespace(tail[index]) { index -= 1 }
        guard index >= 0, tail[index] == UInt8(ascii: "}") else { return nil }
        index -= 1
        while index >= 0, isWhitespace(tail[index]) { index -= 1 }
        guard index >= 0, tail[index] == UInt8(ascii: "]") else { return nil }
        return lineLength - Int64(tail.count - index)
    }

    public static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d
    }
}
