import Foundation

/// Matches a request's `Origin` against a campaign's allowed origins.
///
/// Entries are exact origins (`https://shop.example.com`, scheme and port significant), wildcard
/// subdomains (`https://*.example.com`, or `*.example.com` for any scheme; the bare domain itself
/// does not match a wildcard), or `*` (any origin).
public enum OriginPolicy {
    public static func allows(_ origin: String, allowed: [String]) -> Bool {
        let origin = origin.lowercased()
        for entry in allowed {
            let entry = entry.lowercased()
            if entry == "*" || entry == origin { return true }
            guard let star = entry.range(of: "*.") else { continue }
            let scheme = entry[..<star.lowerBound]      // "https://" or ""
            let suffix = entry[star.upperBound...]      // "example.com[:port]"
            var rest = Substring(origin)
            if !scheme.isEmpty {
                guard rest.hasPrefix(scheme) else { continue }
                rest = rest.dropFirst(scheme.count)
            } else if let schemeEnd = rest.range(of: "://") {
                rest = rest[schemeEnd.upperBound...]
            }
            if rest.hasSuffix("." + suffix), rest.count > suffix.count + 1 { return true }
        }
        return false
    }

    /// Checks one allowed-origin entry given on the command line; returns a problem or nil.
    public static func problem(with entry: String) -> String? {
        if entry == "*" { return nil }
        if entry.hasPrefix("*.") { return entry.count > 2 ? nil : "wildcard needs a domain, e.g. *.example.com" }
        guard let schemeEnd = entry.range(of: "://") else {
            return "\(entry) must be an origin like https://shop.example.com or a wildcard like https://*.example.com"
        }
        let scheme = entry[..<schemeEnd.lowerBound]
        let rest = entry[schemeEnd.upperBound...]
        guard scheme == "http" || scheme == "https", !rest.isEmpty, !rest.contains("/") else {
            return "\(entry) must be scheme://host[:port] with no path"
        }
        return nil
    }
}
