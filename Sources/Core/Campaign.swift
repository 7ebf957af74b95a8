import Foundation

/// A recording configuration: one public key, the origins allowed to send with it, and limits.
public struct Campaign: Sendable, Equatable, Codable {
    @LowercasedUUID public var id: UUID
    public var name: String
    public var publicKey: String
    public var allowedOrigins: [String]
    public var sessionsPerHour: Int
    public var eventsPerSecond: Int
    /// Install pings (`POST /v1/install`) accepted per minute, over all of the campaign's sites.
    public var installPingsPerMinute: Int
    /// Sites (hosts) the install tracker records for the campaign; pings from further hosts are refused.
    public var maxSites: Int
    public var paused: Bool

    public static let defaultInstallPingsPerMinute = 600
    public static let defaultMaxSites = 1_000

    public init(id: UUID, name: String, publicKey: String, allowedOrigins: [String], sessionsPerHour: Int,
                eventsPerSecond: Int, installPingsPerMinute: Int = Campaign.defaultInstallPingsPerMinute,
                maxSites: Int = Campaign.defaultMaxSites, paused: Bool) {
        self.id = id
        self.name = name
        self.publicKey = publicKey
        self.allowedOrigins = allowedOrigins
        self.sessionsPerHour = sessionsPerHour
        self.eventsPerSecond = eventsPerSecond
        self.installPingsPerMinute = installPingsPerMinute
        self.maxSites = maxSites
        self.paused = paused
    }

    /// A new random public key: `pk_` and 26 base-62 characters (~154 bits) from the system CSPRNG.
    public static func generatePublicKey() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var generator = SystemRandomNumberGenerator()
        var key = "pk_"
        for _ in 0..<26 { key.unicodeScalars.append(Unicode.Scalar(alphabet[Int.random(in: 0..<62, using: &generator)])) }
        return key
    }
}
