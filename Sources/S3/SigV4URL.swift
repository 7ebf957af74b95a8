import Foundation

/// The parts of an absolute URL that SigV4 needs, split without any validation or normalisation
/// (raw spaces and UTF-8 in the path are tolerated: they are encoded when canonicalised).
struct SigV4URL: Sendable, Equatable {
    /// `http` or `https` (lower-cased).
    var scheme: String
    /// The authority without user info, with the port only when it is not the scheme's default:
    /// exactly what curl sends as `Host`.
    var host: String
    /// The path as written in the URL (may contain escapes); `/` when empty.
    var rawPath: String
    /// The query as written (without `?`); `nil` when the URL has none.
    var rawQuery: String?

    init(_ url: String) {
        var rest = Substring(url)
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        } else {
            scheme = "https"
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var hostValue = String(authority)
        if scheme == "http", hostValue.hasSuffix(":80") { hostValue.removeLast(3) }
        if scheme == "https", hostValue.hasSuffix(":443") { hostValue.removeLast(4) }
        host = hostValue
        rest = rest[authorityEnd...]
        if let q = rest.firstIndex(of: "?") {
            rawPath = String(rest[..<q])
            rawQuery = String(rest[rest.index(after: q)...])
        } else {
            rawPath = String(rest)
            rawQuery = nil
        }
        if rawPath.isEmpty { rawPath = "/" }
    }

    /// `scheme://host` followed by the raw path, without the query.
    var base: String { "\(scheme)://\(host)\(rawPath)" }
}
