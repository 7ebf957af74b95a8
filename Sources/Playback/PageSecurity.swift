import Foundation
import HTTPTypes

/// The headers every playback HTML page carries. Recorded pages are attacker-controlled content
/// rendered in analysts' browsers, so besides rrweb's sandboxed replay iframe the page itself is
/// locked down:
///
/// - `Content-Security-Policy`: scripts only from this server (the player build under
///   `/assets/rrweb/`), the configured rrweb asset origin, and the page's own inline script by a
///   per-response nonce; no plugins, no `<base>`, no form posts elsewhere; `fetch` only to this
///   server. Styles, images, fonts and media of the replayed site may come from anywhere (the
///   replay iframe inherits this policy and shows the recorded page's own resources), but never
///   scripts. `frame-ancestors` is ``PlaybackConfiguration/frameAncestors`` (`'none'` by default:
///   the pages cannot be framed by other sites).
/// - `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (links carry signatures),
///   `Cache-Control: private, no-store`.
enum PageSecurity {
    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    /// A fresh nonce for one response's inline script (128 random bits, base64).
    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
    }

    /// The policy of the replay page: its inline script by `nonce`, the player from `assetOrigin`.
    static func replayPolicy(nonce: String, assetOrigin: String?, frameAncestors: String) -> String {
        let scripts = ["'self'", "'nonce-\(nonce)'"] + (assetOrigin.map { [$0] } ?? [])
        let styles = ["'self'", "'unsafe-inline'", "*", "data:", "blob:"]
        return [
            "default-src 'none'",
            "script-src " + scripts.joined(separator: " "),
            "style-src " + styles.joined(separator: " ") + (assetOrigin.map { " " + $0 } ?? ""),
            "img-src * data: blob:",
            "font-src * data:",
            "media-src * data: blob:",
            "connect-src 'self'",
            "frame-src 'self' blob:",
            "base-uri 'none'",
            "form-action 'none'",
            "object-src 'none'",
            "frame-ancestors \(frameAncestors)",
        ].joined(separator: "; ")
    }

    /// The policy of the pages without scripts (the sessions list, error pages).
    static func staticPolicy(frameAncestors: String, forms: Bool = false) -> String {
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action \(forms ? "'self'" : "'none'"); frame-ancestors \(frameAncestors)"
    }

    /// `scheme://host[:port]` of an absolute URL (the CSP source for a CDN directory), or nil for a
    /// path on this server.
    static func origin(of url: String?) -> String? {
        guard let url, let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty
        else { return nil }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    static func apply(to headers: inout HTTPFields, policy: String) {
        headers[contentSecurityPolicy] = policy
        headers[contentTypeOptions] = "nosniff"
        headers[referrerPolicy] = "no-referrer"
    }
}
