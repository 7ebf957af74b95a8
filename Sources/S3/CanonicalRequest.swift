/// The pieces of a SigV4 canonical request, each a pure function of the request.
///
/// See "Create a canonical request" in the AWS SigV4 documentation. S3 rules: the path is encoded
/// exactly once and never normalised; the query is encoded and sorted; header names are
/// lower-cased, values trimmed with inner whitespace runs collapsed, duplicates joined with `,`.
enum CanonicalRequest {
    /// The canonical URI of `rawPath` (as written in the URL). Each segment is decoded and
    /// re-encoded, so a correctly encoded path is kept as is (no double encoding) and raw
    /// characters get encoded. With `normalize`, `.`/`..` segments and empty segments are removed
    /// (the generic AWS rule; S3 never does this).
    static func uri(rawPath: String, normalize: Bool) -> String {
        let segments = rawPath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var encoded = segments.map { S3URIEncoding.encode(S3URIEncoding.decode($0), keepSlash: false) }
        if normalize {
            var stack: [String] = []
            for segment in encoded.dropFirst() {
                switch segment {
                case "", ".": continue
                case "..": _ = stack.popLast()
                default: stack.append(segment)
                }
            }
            let last = encoded.last ?? ""
            let trailingSlash = (last.isEmpty || last == "." || last == "..") && !stack.isEmpty
            encoded = [""] + stack
            return (stack.isEmpty ? "/" : encoded.joined(separator: "/")) + (trailingSlash ? "/" : "")
        }
        let path = encoded.joined(separator: "/")
        return path.hasPrefix("/") ? path : "/" + path
    }

    /// Splits a raw query string into decoded name/value pairs (a missing `=` means an empty value).
    static func queryItems(rawQuery: String?) -> [(name: String, value: String)] {
        guard let rawQuery, !rawQuery.isEmpty else { return [] }
        return rawQuery.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let eq = pair.firstIndex(of: "=") {
                return (S3URIEncoding.decode(String(pair[..<eq])), S3URIEncoding.decode(String(pair[pair.index(after: eq)...])))
            }
            return (S3URIEncoding.decode(String(pair)), "")
        }
    }

    /// The canonical query string: every name and value encoded, sorted by name then value (byte order).
    static func query(_ items: [(name: String, value: String)]) -> String {
        items
            .map { (S3URIEncoding.encode($0.name), S3URIEncoding.encode($0.value)) }
            .sorted { lhs, rhs in
                if lhs.0 != rhs.0 { return lhs.0.utf8.lexicographicallyPrecedes(rhs.0.utf8) }
                return lhs.1.utf8.lexicographicallyPrecedes(rhs.1.utf8)
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// A header value as signed: trimmed, every run of whitespace (including folded lines) made one space.
    static func headerValue(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for ch in value.unicodeScalars {
            if ch == " " || ch == "\t" || ch == "\n" || ch == "\r" {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.unicodeScalars.append(" ") }
                pendingSpace = false
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// The canonical header block (each `name:value\n`) and the `;`-joined signed header names.
    static func headers(_ headers: [(name: String, value: String)]) -> (block: String, signed: String) {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            if values[name] == nil { order.append(name) }
            values[name, default: []].append(headerValue(header.value))
        }
        order.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let block = order.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (block, order.joined(separator: ";"))
    }

    /// The whole canonical request.
    static func build(method: String, uri: String, query: String, headerBlock: String, signedHeaders: String, payloadHash: String) -> String {
        [method, uri, query, headerBlock, signedHeaders, payloadHash].joined(separator: "\n")
    }
}
