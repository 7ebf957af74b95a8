/// A strict, single-pass JSON scanner over raw bytes (RFC 8259: UTF-8 checked, no trailing commas,
/// no leading zeros, no comments). It never builds a tree: the batch validator reads the few members
/// it needs and lets the scanner step over everything else — rrweb snapshots are megabytes of nested
/// DOM — checking it on the way. Nesting is tracked on a heap stack, never by recursion.
///
/// Errors say what was expected and the byte offset, so a sender can find the spot.
struct JSONScanner: ~Copyable {
    /// Deeper nesting than this is refused (real DOM snapshots stay far below it).
    static let maxDepth = 10_000

    private let base: UnsafePointer<UInt8>
    let count: Int
    private(set) var index = 0
    /// Open containers while skipping a value: `true` for an object, `false` for an array.
    private var containers: [Bool] = []

    /// `bytes` must stay valid for the scanner's lifetime.
    init(_ bytes: UnsafeRawBufferPointer) {
        // An empty buffer may have no base address; every access is bounded by `count` (0 then),
        // so the placeholder address is never dereferenced.
        base = (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(to: UInt8.self)
        count = bytes.count
    }

    // MARK: errors

    func syntaxError(_ expected: String) -> BatchValidationError {
        guard index < count else {
            return .malformed("the body is not valid JSON: it ends where \(expected) was expected (it may be truncated)")
        }
        let byte = base[index]
        let found = (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
        return .malformed("the body is not valid JSON: expected \(expected) at byte \(index), found \(found)")
    }

    // MARK: navigation

    var atEnd: Bool { index >= count }

    /// The current byte, or `nil` at the end.
    var peek: UInt8? { index < count ? base[index] : nil }

    mutating func skipWhitespace() {
        while index < count {
            switch base[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Consumes `byte` (after whitespace) or throws saying `expected`.
    mutating func expect(_ byte: UInt8, _ expected: String) throws(BatchValidationError) {
        skipWhitespace()
        guard index < count, base[index] == byte else { throw syntaxError(expected) }
        index += 1
    }

    /// Consumes `byte` if it is next (after whitespace).
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < count, base[index] == byte else { return false }
        index += 1
        return true
    }

    func bytes(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    // MARK: strings

    /// A scanned string: the range of its contents (between the quotes) and whether it has escapes.
    struct StringToken {
        var contents: Range<Int>
        var escaped: Bool
    }

    /// Scans a string starting at the current byte (which must be a quote).
    mutating func scanString() throws(BatchValidationError) -> StringToken {
        guard index < count, base[index] == .quote else { throw syntaxError("a string") }
        index += 1
        let start = index
        var escaped = false
        while true {
            // Eight bytes at a time while none is a quote, backslash, control byte or non-ASCII.
            while index &+ 8 <= count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if Self.needsAttention(word) { break }
                index &+= 8
            }
            guard index < count else { throw syntaxError("the end of a string (\")") }
            let byte = base[index]
            if byte == .quote {
                index += 1
                return StringToken(contents: start..<index - 1, escaped: escaped)
            } else if byte == .backslash {
                escaped = true
                try scanEscape()
            } else if byte < 0x20 {
                throw .malformed("the body is not valid JSON: control byte 0x\(String(byte, radix: 16, uppercase: true)) inside a string at byte \(index) (escape it)")
            } else if byte >= 0x80 {
                try scanUTF8Sequence()
            } else {
                index += 1
            }
        }
    }

    /// Whether any of the eight bytes is `"`, `\`, below 0x20 or above 0x7F (SWAR: each test sets
    /// the high bit of a matching byte; none of them reports a byte that does not match).
    @inline(__always)
    static func needsAttention(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        let hasControl = word &- (ones &* 0x20)
        return ((hasQuote | hasBackslash | hasControl) & ~word & highs) | (word & highs) != 0
    }

    private mutating func scanEscape() throws(BatchValidationError) {
        guard index + 1 < count else { index = count; throw syntaxError("an escape sequence") }
        switch base[index + 1] {
        case .quote, .backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 2
        case UInt8(ascii: "u"):
            guard index + 6 <= count else { index = count; throw syntaxError("four hex digits after \\u") }
            for offset in 2..<6 where Self.hexValue(base[index + offset]) == nil {
                index += offset
                throw syntaxError("four hex digits after \\u")
            }
            index += 6
        default:
            index += 1
            throw syntaxError("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)")
        }
    }

    /// Checks one multi-byte UTF-8 sequence (no overlongs, no surrogates, at most U+10FFFF).
    private mutating func scanUTF8Sequence() throws(BatchValidationError) {
        let lead = base[index]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw invalidUTF8()
        }
        guard index + length <= count else { throw invalidUTF8() }
        guard (low...high).contains(base[index + 1]) else { throw invalidUTF8() }
        for offset in 2..<length where base[index + offset] & 0xC0 != 0x80 { throw invalidUTF8() }
        index += length
    }

    private func invalidUTF8() -> BatchValidationError {
        .malformed("the body is not valid UTF-8 at byte \(index); send JSON encoded as UTF-8")
    }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// The text of a scanned string, escapes resolved (an unpaired surrogate becomes U+FFFD).
    func text(_ token: StringToken) -> String {
        let raw = bytes(token.contents)
        guard token.escaped else { return String(decoding: raw, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        var position = 0
        var pendingHigh: UInt32?
        func hex4(at start: Int) -> UInt32 {
            (start..<start + 4).reduce(0) { $0 << 4 | (Self.hexValue(raw[$1]) ?? 0) }
        }
        while position < raw.count {
            guard raw[position] == .backslash else {
                if pendingHigh != nil { scalars.append("\u{FFFD}"); pendingHigh = nil }
                var end = position
                while end < raw.count, raw[end] != .backslash { end += 1 }
                scalars.append(contentsOf: String(decoding: UnsafeBufferPointer(rebasing: raw[position..<end]), as: UTF8.self).unicodeScalars)
                position = end
                continue
            }
            let escape = raw[position + 1]
            position += 2
            var scalar: Unicode.Scalar
            switch escape {
            case UInt8(ascii: "b"): scalar = "\u{08}"
            case UInt8(ascii: "f"): scalar = "\u{0C}"
            case UInt8(ascii: "n"): scalar = "\n"
            case UInt8(ascii: "r"): scalar = "\r"
            case UInt8(ascii: "t"): scalar = "\t"
            case UInt8(ascii: "u"):
                let unit = hex4(at: position)
                position += 4
                if (0xD800...0xDBFF).contains(unit) {
                    if pendingHigh != nil { scalars.append("\u{FFFD}") }
                    pendingHigh = unit
                    continue
                }
                if (0xDC00...0xDFFF).contains(unit), let high = pendingHigh {
                    scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)) ?? "\u{FFFD}"
                    pendingHigh = nil
                    scalars.append(scalar)
                    continue
                }
                scalar = Unicode.Scalar(unit) ?? "\u{FFFD}"
            default: scalar = Unicode.Scalar(escape)  // \" \\ \/
            }
            if pendingHigh != nil { scalars.append("\u{FFFD}"); pendingHigh = nil }
            scalars.append(scalar)
        }
        if pendingHigh != nil { scalars.append("\u{FFFD}") }
        return String(scalars)
    }

    /// Whether a scanned string equals `wanted` (unescaped).
    func string(_ token: StringToken, equals wanted: StaticString) -> Bool {
        let raw = bytes(token.contents)
        if token.escaped { return text(token) == wanted.description }
        guard raw.count == wanted.utf8CodeUnitCount else { return false }
        let other = UnsafeBufferPointer(start: wanted.utf8Start, count: wanted.utf8CodeUnitCount)
        return raw.elementsEqual(other)
    }

    // MARK: numbers and literals

    /// A scanned number: its bytes and whether it is an integer literal (no fraction, no exponent).
    struct NumberToken {
        var range: Range<Int>
        var isInteger: Bool
    }

    /// Scans `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` at the current byte.
    mutating func scanNumber() throws(BatchValidationError) -> NumberToken {
        let start = index
        var isInteger = true
        if index < count, base[index] == .minus { index += 1 }
        guard index < count, base[index].isDigit else { throw syntaxError("a digit") }
        if base[index] == UInt8(ascii: "0") {
            index += 1
            if index < count, base[index].isDigit { throw syntaxError("no leading zero in a number; '.', 'e', ',' or the end") }
        } else {
            while index < count, base[index].isDigit { index += 1 }
        }
        if index < count, base[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < count, base[index].isDigit else { throw syntaxError("a digit after the decimal point") }
            while index < count, base[index].isDigit { index += 1 }
        }
        if index < count, base[index] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            index += 1
            if index < count, base[index] == .plus || base[index] == .minus { index += 1 }
            guard index < count, base[index].isDigit else { throw syntaxError("a digit in the exponent") }
            while index < count, base[index].isDigit { index += 1 }
        }
        return NumberToken(range: start..<index, isInteger: isInteger)
    }

    /// The value of an integer literal, or `nil` beyond ±2^63 (callers report it as out of range) and
    /// for a number with a fraction or an exponent (`1.5`, `1e3`), whose `.`, `e` and sign are not digits.
    func integer(_ token: NumberToken) -> Int? {
        guard token.isInteger else { return nil }
        let raw = bytes(token.range)
        let negative = raw.first == .minus
        var value = 0
        for byte in raw.dropFirst(negative ? 1 : 0) {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return negative ? -value : value
    }

    /// The value of a number: integer literals of up to 15 digits exactly and fast, anything else
    /// through the standard library's correctly rounded parser.
    func double(_ token: NumberToken) -> Double {
        if token.isInteger, token.range.count <= 15, let value = integer(token) { return Double(value) }
        return Double(String(decoding: bytes(token.range), as: UTF8.self)) ?? .nan
    }

    private mutating func scanLiteral(_ literal: StaticString) throws(BatchValidationError) {
        guard hasLiteral(literal) else { throw syntaxError("a value (string, number, object, array, true, false or null)") }
        index += literal.utf8CodeUnitCount
    }

    // MARK: any value

    /// The kind of value that starts at the current byte (after whitespace), without consuming it.
    enum Kind { case string, number, object, array, bool, null, invalid }

    mutating func peekKind() -> Kind {
        skipWhitespace()
        guard index < count else { return .invalid }
        switch base[index] {
        case .quote: return .string
        case .openBrace: return .object
        case .openBracket: return .array
        case .minus, UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"): return hasLiteral("true") ? .bool : .invalid
        case UInt8(ascii: "f"): return hasLiteral("false") ? .bool : .invalid
        case UInt8(ascii: "n"): return hasLiteral("null") ? .null : .invalid
        default: return .invalid
        }
    }

    private func hasLiteral(_ literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        return index + length <= count
            && bytes(index..<index + length).elementsEqual(UnsafeBufferPointer(start: literal.utf8Start, count: length))
    }

    /// Steps over one complete value (after whitespace), checking all of it.
    mutating func skipValue() throws(BatchValidationError) {
        containers.removeAll(keepingCapacity: true)
        while true {
            // A value starts here.
            skipWhitespace()
            guard index < count else { throw syntaxError("a value") }
            switch base[index] {
            case .quote:
                _ = try scanString()
            case .minus, UInt8(ascii: "0")...UInt8(ascii: "9"):
                _ = try scanNumber()
            case UInt8(ascii: "t"): try scanLiteral("true")
            case UInt8(ascii: "f"): try scanLiteral("false")
            case UInt8(ascii: "n"): try scanLiteral("null")
            case .openBrace:
                try checkDepth()
                index += 1
                if consume(.closeBrace) { break }
                containers.append(true)
                try memberKey()
                continue
            case .openBracket:
                try checkDepth()
                index += 1
                if consume(.closeBracket) { break }
                containers.append(false)
                continue
            default:
                throw syntaxError("a value (string, number, object, array, true, false or null)")
            }
            // A value ended: close containers until one continues with a comma.
            while let isObject = containers.last {
                skipWhitespace()
                guard index < count else { throw syntaxError(isObject ? "',' or '}'" : "',' or ']'") }
                let byte = base[index]
                if byte == .comma {
                    index += 1
                    if isObject { try memberKey() }
                    break
                } else if byte == (isObject ? UInt8.closeBrace : UInt8.closeBracket) {
                    index += 1
                    containers.removeLast()
                } else {
                    throw syntaxError(isObject ? "',' or '}'" : "',' or ']'")
                }
            }
            if containers.isEmpty { return }
        }
    }

    private func checkDepth() throws(BatchValidationError) {
        guard containers.count < Self.maxDepth else {
            throw .malformed("the body nests objects and arrays deeper than \(Self.maxDepth) levels at byte \(index)")
        }
    }

    /// `"name" :` of an object member.
    private mutating func memberKey() throws(BatchValidationError) {
        skipWhitespace()
        guard peek == .quote else { throw syntaxError("a member name in quotes") }
        _ = try scanString()
        try expect(.colon, "':' after a member name")
    }

    /// Reads the name of the next member of an object whose `{` (first member) or `,` was consumed.
    mutating func memberName() throws(BatchValidationError) -> StringToken {
        skipWhitespace()
        guard peek == .quote else { throw syntaxError("a member name in quotes") }
        let name = try scanString()
        try expect(.colon, "':' after a member name")
        skipWhitespace()
        return name
    }

    /// After a member's value: `true` if another member follows (its `,` consumed), `false` at `}`.
    mutating func nextMember() throws(BatchValidationError) -> Bool {
        if consume(.comma) { return true }
        try expect(.closeBrace, "',' or '}'")
        return false
    }

    /// After an element: `true` if another element follows (its `,` consumed), `false` at `]`.
    mutating func nextElement() throws(BatchValidationError) -> Bool {
        if consume(.comma) { return true }
        try expect(.closeBracket, "',' or ']'")
        return false
    }
}

extension UInt8 {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")

    var isDigit: Bool { self &- UInt8(ascii: "0") < 10 }
}
