import Crypto
import Foundation

/// An analyst token's record (never its secret): who it is for, which campaign it is limited to
/// (nil: every campaign), and when it expires or was revoked.
public struct AnalystToken: Sendable, Equatable, Codable {
    public var id: UUID
    public var name: String
    public var campaignID: UUID?
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(id: UUID, name: String, campaignID: UUID?, createdAt: Date, expiresAt: Date?, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.campaignID = campaignID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Valid now: neither revoked nor expired.
    public func isActive(at now: Date = Date()) -> Bool {
        revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
    }

    /// The prefix every analyst token starts with.
    public static let prefix = "rat_"

    /// A new secret: `rat_` and 32 base-62 characters (~190 bits) from the system CSPRNG.
    public static func generateSecret() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var generator = SystemRandomNumberGenerator()
        var secret = prefix
        for _ in 0..<32 {
            secret.unicodeScalars.append(Unicode.Scalar(alphabet[Int.random(in: 0..<62, using: &generator)]))
        }
        return secret
    }

    /// True for strings shaped like a secret (checked before hashing and querying).
    public static func looksLikeSecret(_ text: String) -> Bool {
        guard text.hasPrefix(prefix), text.utf8.count == prefix.utf8.count + 32 else { return false }
        return text.utf8.dropFirst(prefix.utf8.count).allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        }
    }

    /// SHA-256 of the secret: what `analyst_tokens.token_hash` stores.
    public static func hash(_ secret: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(secret.utf8)))
    }
}

extension AnalystToken {
    /// Encodes as synthesized, with ids in lower case (as Postgres and the rest of replayd spell them).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.uuidString.lowercased(), forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(campaignID?.uuidString.lowercased(), forKey: .campaignID)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try container.encodeIfPresent(revokedAt, forKey: .revokedAt)
    }
}
