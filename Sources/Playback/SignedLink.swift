import Crypto
import Foundation

/// Short-lived playback links a plain browser tab can open: `?campaign=<id>&exp=<unix>&sig=<hex>`,
/// where `sig` is HMAC-SHA256(secret, "<session>|<campaign>|<exp>") in lower-case hex.
///
/// A link for one session (`session` set) opens that session's replay page and its events. A link for
/// a whole campaign's session list uses `*` as the session (session ids never contain `*`), so it
/// cannot be replayed as a session link and vice versa; it grants every session of that campaign.
public struct SignedLink: Sendable, Equatable {
    /// The session, or nil for a campaign-wide (session list) link.
    public var session: String?
    public var campaignID: UUID
    /// Unix seconds after which the link is refused.
    public var expires: Int64

    public init(session: String?, campaignID: UUID, expires: Int64) {
        self.session = session
        self.campaignID = campaignID
        self.expires = expires
    }

    /// The signed message.
    var message: String { "\(session ?? "*")|\(campaignID.uuidString.lowercased())|\(expires)" }

    /// The signature for `secret`.
    public func signature(secret: String) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key)
        return AnalystTokenStore.hex(Array(mac))
    }

    /// `campaign=…&exp=…&sig=…`, ready to append to a path.
    public func queryString(secret: String) -> String {
        "campaign=\(campaignID.uuidString.lowercased())&exp=\(expires)&sig=\(signature(secret: secret))"
    }

    /// Checks `signature` in constant time, then the expiry. Throws `unauthorized` for a bad
    /// signature (also when no secret is configured) and `link_expired` for a good but old one.
    public func verify(signature: String, secret: String?, now: Date = Date()) throws(PlaybackError) {
        guard let secret, secret.utf8.count >= Self.minimumSecretBytes else {
            throw PlaybackError.unauthorized("signed links are not enabled on this server (REPLAYD_LINK_SECRET is not set)")
        }
        let expected = Array(self.signature(secret: secret).utf8)
        let given = Array(signature.lowercased().utf8)
        var difference = UInt8(expected.count == given.count ? 0 : 1)
        for index in 0..<min(expected.count, given.count) { difference |= expected[index] ^ given[index] }
        guard difference == 0 else {
            throw PlaybackError.unauthorized("the link's signature does not match (it was altered, or signed with another secret)")
        }
        guard Int64(now.timeIntervalSince1970) < expires else { throw PlaybackError.linkExpired }
    }

    /// A link valid for `lifetime` from `now`.
    public static func valid(for lifetime: Duration, session: String?, campaignID: UUID, now: Date = Date()) -> Self {
        Self(session: session, campaignID: campaignID,
             expires: Int64(now.timeIntervalSince1970) + max(1, lifetime.components.seconds))
    }

    /// The shortest acceptable secret.
    public static let minimumSecretBytes = 16
}
