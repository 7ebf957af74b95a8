import Core
import NIOCore
import S3
import Foundation
@testable import Playback
import PostgresNIO
import TestSupport
import Testing

@Suite("Analyst tokens")
struct TokenStoreTests {
    @Test("secrets are rat_ + 32 base-62 characters, random, and only their SHA-256 is stored")
    func storedHashed() async throws {
        try await PlaybackHarness.run { harness in
            let (token, secret) = try await harness.tokens.create(name: "  Ada  ")
            #expect(token.name == "Ada")
            #expect(AnalystToken.looksLikeSecret(secret))
            #expect(secret.count == 36)
            #expect(AnalystToken.generateSecret() != AnalystToken.generateSecret())
            let rows = try await harness.postgres.query(
                "SELECT token_hash FROM analyst_tokens WHERE id = \(token.id)", logger: harness.logger)
            var stored: [UInt8] = []
            for try await hash in rows.decode(ByteBuffer.self) { stored = Array(hash.readableBytesView) }
            #expect(stored == AnalystToken.hash(secret))
            #expect(stored.count == 32)
            #expect(try await harness.tokens.verify(secret)?.id == token.id)
            #expect(try await harness.tokens.verify("rat_" + String(repeating: "x", count: 32)) == nil)
            #expect(await harness.tokens.accepts("Bearer \(secret)"))
            #expect(!(await harness.tokens.accepts(nil)))
            #expect(!(await harness.tokens.accepts("Bearer pk_abc")))
            #expect(try await harness.tokens.list().contains { $0.id == token.id })

            // The campaign check every analyst route outside playback uses.
            let campaign = try await harness.campaign().id, other = UUID()
            let (_, scoped) = try await harness.tokens.create(name: "scoped", campaignID: campaign)
            try await harness.tokens.authorize("Bearer \(scoped)", campaignID: campaign)
            try await harness.tokens.authorize("Bearer \(secret)", campaignID: other)  // unscoped: every campaign
            await #expect(throws: PlaybackError.forbiddenCampaign(other.uuidString.lowercased(), allowed: campaign.uuidString.lowercased())) {
                try await harness.tokens.authorize("Bearer \(scoped)", campaignID: other)
            }
            let (_, expiring) = try await harness.tokens.create(name: "expiring", campaignID: campaign, expiresAt: Date().addingTimeInterval(60))
            await #expect(throws: PlaybackError.tokenExpired("expiring")) {
                try await harness.tokens.authorize("Bearer \(expiring)", campaignID: campaign, now: Date().addingTimeInterval(120))
            }
        }
    }

    @Test("revocation through the store takes effect at once, despite the cache")
    func revocation() async throws {
        try await PlaybackHarness.run { harness in
            let (token, secret) = try await harness.tokens.create(name: "temp")
            #expect(await harness.tokens.accepts("Bearer \(secret)"))
            let revoked = try await harness.tokens.revoke(id: token.id)
            #expect(revoked?.revokedAt != nil)
            #expect(!(await harness.tokens.accepts("Bearer \(secret)")))
            #expect(try await harness.tokens.revoke(id: UUID()) == nil)
            await #expect(throws: (any Error).self) { try await harness.tokens.create(name: "  ") }
        }
    }

    @Test("another process's revocation is seen once the cache entry expires")
    func cacheTTL() async throws {
        try await PlaybackHarness.run { harness in
            let fast = AnalystTokenStore(client: harness.postgres, logger: harness.logger, cacheTTL: .seconds(2))
            let (token, secret) = try await harness.tokens.create(name: "cached")
            #expect(await fast.accepts("Bearer \(secret)"))
            try await harness.tokens.revoke(id: token.id)  // another instance: `fast` still has it cached
            #expect(await fast.accepts("Bearer \(secret)"))
            try await Task.sleep(for: .milliseconds(2_200))
            #expect(!(await fast.accepts("Bearer \(secret)")))
        }
    }
}

extension AnalystTokenStore {
    /// Whether the header carries an active token (any scope).
    func accepts(_ header: String?) async -> Bool {
        (try? await authenticate(header)) != nil
    }
}
