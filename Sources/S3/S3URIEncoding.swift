/// Percent-encoding as S3 and SigV4 define it (RFC 3986 unreserved characters only).
///
/// Every byte of the UTF-8 form except `A–Z a–z 0–9 - . _ ~` becomes `%XX` with upper-case hex
/// digits; `/` is kept in object-key paths and encoded everywhere else. Encoding is applied once:
/// S3 does not double-encode paths (unlike the other AWS services).
public enum S3URIEncoding {
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Whether `byte` is an RFC 3986 unreserved character.
    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Encodes `value`; `/` stays as is when `keepSlash` is true (object-key paths).
    public static func encode(_ value: String, keepSlash: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The path of an object key in a URL: each character of the key encoded, `/` kept.
    public static func encodeKey(_ key: String) -> String { encode(key, keepSlash: true) }

    /// Decodes `%XX` escapes (malformed escapes are kept literally; `+` stays `+`).
    public static func decode(_ value: String) -> String {
        let bytes = Array(value.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return value }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
               let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
