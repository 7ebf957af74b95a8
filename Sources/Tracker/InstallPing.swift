import HTTPSupport
import Foundation

/// The snippet's install ping body: `{"key": "pk_…", "url": "https://shop.example.com/…", "version": "1.2.0"}`.
struct InstallPing: Sendable, Decodable {
    var key: String
    var url: String
    var version: String?

    /// The validated ping: its site (the URL's host) and the URL's origin (`scheme://host[:port]`).
    struct Validated: Sendable {
        var key: String
        var host: String
        var origin: String
        var version: String?
    }

    static func validate(_ body: Data) throws(TrackerError) -> Validated {
        let ping: InstallPing
        do {
            ping = try JSONDecoder().decode(InstallPing.self, from: body)
        } catch {
            throw .malformed("the body must be a JSON object {\"key\", \"url\", \"version\"} with string values")
        }
        guard ping.key.hasPrefix("pk_"), (8...80).contains(ping.key.utf8.count),
              ping.key.utf8.dropFirst(3).allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "_") })
        else {
            throw .invalidField("key", "must be a campaign public key (pk_ followed by letters and digits)")
        }
        guard ping.url.utf8.count <= 4096, let components = URLComponents(string: ping.url),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host?.lowercased(), !host.isEmpty, host.utf8.count <= 253
        else {
            throw .invalidField("url", "must be the page's absolute http(s) URL (at most 4096 bytes)")
        }
        if let version = ping.version {
            guard (1...64).contains(version.utf8.count),
                  version.utf8.allSatisfy({ isAlphanumeric($0) || [UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "+")].contains($0) })
            else {
                throw .invalidField("version", "must be 1–64 characters of letters, digits and . - _ +")
            }
        }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = components.port.flatMap { $0 == defaultPort ? nil : $0 }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let origin = scheme + "://" + shownHost + (port.map { ":\($0)" } ?? "")
        return Validated(key: ping.key, host: host, origin: origin, version: ping.version)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: false
        }
    }
}
