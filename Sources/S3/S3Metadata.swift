/// User metadata travel as `x-amz-meta-<name>` headers, which S3 restricts to ASCII.
///
/// Names must be ASCII letters, digits, `-` or `_` (S3 lower-cases them). Values are sent as is
/// when they are printable ASCII without `%`; otherwise every byte outside printable ASCII, and
/// `%` itself, is percent-encoded (`%XX` of the UTF-8 bytes). ``S3Client/headObject(key:)``
/// decodes them again, so any string round-trips; other S3 clients see the encoded form.
///
/// S3 allows at most ``sizeLimit`` bytes of user metadata per object (names without the prefix plus
/// values, as sent); a larger set is refused here with a configuration error rather than by S3
/// with a 400. ``truncate(_:toEncodedBytes:)`` makes a value fit a budget.
public enum S3Metadata {
    static let headerPrefix = "x-amz-meta-"
    /// S3's limit on user-defined metadata: 2 KB, counted as the UTF-8 bytes of names and values.
    public static let sizeLimit = 2048

    /// The bytes `metadata` counts against ``sizeLimit`` once encoded.
    public static func size(_ metadata: [String: String]) -> Int {
        metadata.reduce(0) { $0 + $1.key.utf8.count + encodeValue($1.value).utf8.count }
    }

    /// The longest prefix of `value` (whole characters) whose encoded form has at most `limit` bytes.
    public static func truncate(_ value: String, toEncodedBytes limit: Int) -> String {
        guard encodeValue(value).utf8.count > limit else { return value }
        var kept = ""
        var used = 0
        for character in value {
            let cost = encodeValue(String(character)).utf8.count
            guard used + cost <= limit else { break }
            kept.append(character)
            used += cost
        }
        // A trailing space is encoded as %20 (3 bytes) when it ends the value.
        while kept.hasSuffix(" "), encodeValue(kept).utf8.count > limit { kept.removeLast() }
        return kept
    }

    /// The header name for metadata `name`; throws for names S3 cannot carry.
    static func headerName(_ name: String) throws -> String {
        let valid = !name.isEmpty && name.utf8.allSatisfy { byte in
            S3URIEncoding.isUnreserved(byte) && byte != UInt8(ascii: ".") && byte != UInt8(ascii: "~")
        }
        guard valid else {
            throw S3Error(kind: .configuration, message: "metadata name \"\(name)\" is not allowed: use ASCII letters, digits, - and _")
        }
        return headerPrefix + name.lowercased()
    }

    /// Encodes a value for a header (see the type's documentation).
    public static func encodeValue(_ value: String) -> String {
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in value.utf8 {
            if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "%") {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        // Leading/trailing spaces would be trimmed by HTTP: encode them too.
        var text = String(decoding: out, as: UTF8.self)
        if text.hasPrefix(" ") { text = "%20" + text.dropFirst() }
        if text.hasSuffix(" "), !text.isEmpty { text = text.dropLast() + "%20" }
        return text
    }

    /// Decodes a value written by ``encodeValue(_:)``.
    public static func decodeValue(_ value: String) -> String { S3URIEncoding.decode(value) }

    static func headers(_ metadata: [String: String]) throws -> [(name: String, value: String)] {
        let size = size(metadata)
        guard size <= sizeLimit else {
            throw S3Error(kind: .configuration, message: "object metadata has \(size) bytes; S3 allows \(sizeLimit): shorten the values")
        }
        return try metadata.sorted { $0.key < $1.key }.map { (try headerName($0.key), encodeValue($0.value)) }
    }
}
