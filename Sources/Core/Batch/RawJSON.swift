/// A small scanner over raw JSON bytes that finds where a top-level member's value lies without
/// decoding anything: the Processor uses it to copy a batch's `events` array into the spool byte for
/// byte.
///
/// It skips strings (with any escapes), numbers, literals and nested arrays/objects (iteratively,
/// so deep nesting cannot overflow the stack). It checks structure only as far as it has to: feed it
/// bodies that a JSON parser already accepted (``BatchValidator`` does that) and use the answer as a
/// byte range; it is not a validator.
public enum RawJSON {
    /// The byte range of the value of the member `key` of the top-level object in `bytes`, or `nil`
    /// if `bytes` is not an object, has no such member, or is malformed before the member ends.
    /// Keys are compared after unescaping (`"ev\u0065nts"` matches `events`). With duplicate keys
    /// the first one wins, as in Foundation's `JSONDecoder` (so the bytes match what validation saw).
    public static func valueRange(ofKey key: String, in bytes: [UInt8]) -> Range<Int>? {
        bytes.withUnsafeBufferPointer { valueRange(ofKey: key, in: $0) }
    }

    /// The value of the member `key` as a slice of `bytes`; see ``valueRange(ofKey:in:)-([UInt8])``.
    public static func value(ofKey key: String, in bytes: [UInt8]) -> ArraySlice<UInt8>? {
        valueRange(ofKey: key, in: bytes).map { bytes[$0] }
    }

    /// ``valueRange(ofKey:in:)-([UInt8])`` over a buffer; ranges are offsets from its start.
    public static func valueRange(ofKey key: String, in bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let wanted = Array(key.utf8)
        var index = skipWhitespace(bytes, 0)
        guard index < bytes.count, bytes[index] == .openBrace else { return nil }
        index = skipWhitespace(bytes, index + 1)
        guard index < bytes.count else { return nil }
        if bytes[index] == .closeBrace { return nil }
        while true {
            guard index < bytes.count, bytes[index] == .quote, let keyEnd = skipString(bytes, index) else { return nil }
            let matches = keyEquals(bytes, index + 1..<keyEnd - 1, wanted)
            index = skipWhitespace(bytes, keyEnd)
            guard index < bytes.count, bytes[index] == .colon else { return nil }
            let start = skipWhitespace(bytes, index + 1)
            guard let end = skipValue(bytes, start) else { return nil }
            if matches { return start..<end }
            index = skipWhitespace(bytes, end)
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case .comma: index = skipWhitespace(bytes, index + 1)
            case .closeBrace: return nil
            default: return nil
            }
        }
    }

    // MARK: scanning

    private static func skipWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var index = start
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return index
            }
        }
        return index
    }

    /// `start` is at an opening quote; returns the index just after the closing quote.
    private static func skipString(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        var index = start + 1
        while index < bytes.count {
            switch bytes[index] {
            case .quote: return index + 1
            case .backslash: index += 2
            default: index += 1
            }
        }
        return nil
    }

    /// Returns the index just after the value that starts at `start`.
    private static func skipValue(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        switch bytes[start] {
        case .quote:
            return skipString(bytes, start)
        case .openBrace, .openBracket:
            var depth = 0
            var index = start
            while index < bytes.count {
                switch bytes[index] {
                case .quote:
                    guard let end = skipString(bytes, index) else { return nil }
                    index = end
                    continue
                case .openBrace, .openBracket:
                    depth += 1
                case .closeBrace, .closeBracket:
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default:
                    break
                }
                index += 1
            }
            return nil
        case .comma, .colon, .closeBrace, .closeBracket:
            return nil
        default:
            // A number or a literal: runs until a structural character or whitespace.
            var index = start
            scan: while index < bytes.count {
                switch bytes[index] {
                case .comma, .closeBrace, .closeBracket, 0x20, 0x09, 0x0A, 0x0D: break scan
                default: index += 1
                }
            }
            return index
        }
    }

    private static func keyEquals(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ wanted: [UInt8]) -> Bool {
        if !bytes[range].contains(.backslash) {
            return range.count == wanted.count && zip(bytes[range], wanted).allSatisfy { $0 == $1 }
        }
        return unescape(bytes[range]).map { $0 == wanted } ?? false
    }

    /// The UTF-8 bytes of a JSON string's contents (without quotes), escapes resolved.
    static func unescape(_ raw: Slice<UnsafeBufferPointer<UInt8>>) -> [UInt8]? {
        var scalars = String.UnicodeScalarView()
        var plain: [UInt8] = []
        var iterator = raw.makeIterator()
        func flushPlain() {
            scalars.append(contentsOf: String(decoding: plain, as: UTF8.self).unicodeScalars)
            plain.removeAll(keepingCapacity: true)
        }
        func hex4() -> UInt32? {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = iterator.next() else { return nil }
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        var pendingHigh: UInt32?
        while let byte = iterator.next() {
            guard byte == .backslash else {
                plain.append(byte)
                continue
            }
            flushPlain()
            guard let escaped = iterator.next() else { return nil }
            switch escaped {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                guard let unit = hex4() else { return nil }
                if (0xD800...0xDBFF).contains(unit) {
                    pendingHigh = unit
                    continue
                }
                if (0xDC00...0xDFFF).contains(unit), let high = pendingHigh {
                    let combined = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)
                    scalars.append(Unicode.Scalar(combined) ?? "\u{FFFD}")
                } else {
                    scalars.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                }
            default:
                return nil
            }
            pendingHigh = nil
        }
        flushPlain()
        return Array(String(scalars).utf8)
    }
}

private extension UInt8 {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")
}
