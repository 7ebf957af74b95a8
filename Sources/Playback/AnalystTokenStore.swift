import HTTPSupport
import Core
import Database
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Analyst tokens in PostgreSQL (`analyst_tokens`): only the SHA-256 of a secret is stored; the
/// secret is shown once, by ``create(name:campaignID:expiresAt:)``.
///
/// ``verify(_:)`` keeps results in an in-process cache for ``cacheTTL`` (unknown secrets for
/// ``negativeTTL``) so requests do not each query Postgres. Revoking through this instance takes
/// effect at once; through another process, within ``cacheTTL``.
public final class AnalystTokenStore: Sendable {
    struct Entry {
        var token: AnalystToken?
        var loadedAt: ContinuousClock.Instant
    }

    let client: PostgresClient
    let logger: Logger
    public let cacheTTL: Duration
    public let negativeTTL: Duration
    let capacity: Int
    private let cache = Mutex([String: Entry]())

    public init(client: PostgresClient, logger: Logger, cacheTTL: Duration = .seconds(30),
                negativeTTL: Duration = .seconds(5), capacity: Int = 10_000) {
        self.client = client
        self.logger = logger
        self.cacheTTL = cacheTTL
        self.negativeTTL = negativeTTL
        self.capacity = max(1, capacity)
    }

    static let columns = "id, name, campaign_id, created_at, expires_at, revoked_at"

    /// Creates a token and returns its record and its secret (the only time the secret exists).
    public func create(name: String, campaignID: UUID? = nil, expiresAt: Date? = nil) async throws -> (token: AnalystToken, secret: String) {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw ReplaydError(code: "invalid_name", message: "a token needs a name saying who or what uses it (--name)")
        }
        let secret = AnalystToken.generateSecret()
        let hash = Self.bytea(AnalystToken.hash(secret))
        let tokens = try await query(
            """
            INSERT INTO analyst_tokens (name, token_hash, campaign_id, expires_at)
            VALUES (\(trimmed), \(hash), \(campaignID), \(expiresAt))
            RETURNING \(unescaped: Self.columns)
            """, doing: "creating analyst token \(trimmed)")
        return (tokens[0], secret)
    }

    /// Every token, newest first (revoked ones included).
    public func list() async throws -> [AnalystToken] {
        try await query("SELECT \(unescaped: Self.columns) FROM analyst_tokens ORDER BY created_at DESC, name",
                        doing: "listing analyst tokens")
    }

    /// Revokes a token; returns its record, or nil when no token has this id. Revoking twice keeps the
    /// first revocation time.
    @discardableResult
    public func revoke(id: UUID) async throws -> AnalystToken? {
        let tokens = try await query(
            """
            UPDATE analyst_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = \(id)
            RETURNING \(unescaped: Self.columns)
            """, doing: "revoking analyst token \(id)")
        cache.withLock { entries in
            for (key, entry) in entries where entry.token?.id == id { entries[key] = nil }
        }
        return tokens.first
    }

    /// The record of the token with this secret (revoked or expired ones included: check
    /// ``AnalystToken/isActive(at:)``), or nil for an unknown secret.
    public func verify(_ secret: String) async throws -> AnalystToken? {
        guard AnalystToken.looksLikeSecret(secret) else { return nil }
        let hash = AnalystToken.hash(secret)
        let key = Self.hex(hash)
        let now = ContinuousClock.now
        let cached: Entry? = cache.withLock { entries in
            guard let entry = entries[key] else { return nil }
            let lifetime = entry.token == nil ? negativeTTL : cacheTTL
            return now - entry.loadedAt < lifetime ? entry : nil
        }
        if let cached { return cached.token }
        let token = try await query(
            "SELECT \(unescaped: Self.columns) FROM analyst_tokens WHERE token_hash = \(Self.bytea(hash))",
            doing: "checking an analyst token").first
        cache.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(token: token, loadedAt: now)
        }
        return token
    }

    /// The token an `Authorization` header carries, or the reason it is refused (see ``PlaybackError``).
    public func authenticate(_ authorizationHeader: String?, now: Date = Date()) async throws(PlaybackError) -> AnalystToken {
        guard let header = authorizationHeader?.trimmingCharacters(in: .whitespaces), !header.isEmpty else {
            throw PlaybackError.missingCredentials
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw PlaybackError.unauthorized("the Authorization header must be `Bearer <token>`")
        }
        let secret = parts[1].trimmingCharacters(in: .whitespaces)
        if secret.hasPrefix("pk_") { throw PlaybackError.publicKeyNotAllowed }
        let token: AnalystToken?
        do {
            token = try await verify(secret)
        } catch {
            logger.warning("analyst token check failed", metadata: ["error": "\(error)"])
            throw PlaybackError.unavailable("analyst tokens cannot be checked right now")
        }
        guard let token else { throw PlaybackError.unauthorized("this analyst token is not known") }
        if token.revokedAt != nil { throw PlaybackError.unauthorized("analyst token \"\(token.name)\" was revoked") }
        if let expiry = token.expiresAt, expiry <= now { throw PlaybackError.tokenExpired(token.name) }
        return token
    }

    /// Refuses unless the header carries an active analyst token (not revoked, not expired) whose
    /// scope includes `campaignID`: the one check for analyst routes outside playback (the install
    /// status). Throws what the playback routes answer for the same credential: 401 (`unauthorized`,
    /// `token_expired`, `public_key_not_allowed`), 403 `forbidden_campaign`, 503 `unavailable`.
    public func authorize(_ authorizationHeader: String?, campaignID: UUID, now: Date = Date()) async throws(PlaybackError) {
        try PlaybackCredential.token(try await authenticate(authorizationHeader, now: now)).check(campaign: campaignID)
    }

    // MARK: helpers

    private func query(_ query: PostgresQuery, doing action: String) async throws -> [AnalystToken] {
        do {
            let rows = try await client.query(query, logger: logger)
            var tokens: [AnalystToken] = []
            for try await (id, name, campaign, created, expires, revoked) in rows.decode(
                (UUID, String, UUID?, Date, Date?, Date?).self)
            {
                tokens.append(AnalystToken(id: id, name: name, campaignID: campaign, createdAt: created,
                                           expiresAt: expires, revokedAt: revoked))
            }
            return tokens
        } catch {
            throw DatabaseError(error, doing: action)
        }
    }

    static func bytea(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
