import ReplaydKit
import ArgumentParser
import Core
import Database
import Foundation
import Logging
import Playback
import PostgresNIO

/// `replayd token create|list|revoke`: analyst tokens for the playback API. A token is printed once
/// at creation; only its SHA-256 is stored. Servers notice a revocation within their token cache TTL
/// (30 s).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke analyst tokens (read access to recordings).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an analyst token and print it (once).")
        @Option(help: "Who or what uses the token.") var name: String
        @Option(help: "Limit the token to one campaign (id); default: every campaign.") var campaign: String?
        @Option(help: "Lifetime, e.g. 12h, 30d (default: until revoked).") var expires: String?
        @Flag(help: "Print {\"id\":…,\"token\":…} for scripts.") var json = false

        func validate() throws {
            if let campaign, UUID(uuidString: campaign) == nil {
                throw ValidationError("--campaign \(campaign) is not a campaign id (see `replayd campaign list`)")
            }
            if let expires, TokenCommand.seconds(expires) == nil {
                throw ValidationError("--expires \(expires) must be a duration like 3600, 12h or 30d")
            }
        }

        func run() async throws {
            let campaignID = campaign.flatMap(UUID.init(uuidString:))
            let expiresAt = expires.flatMap(TokenCommand.seconds).map { Date().addingTimeInterval($0) }
            let name = self.name
            let (token, secret) = try await TokenCommand.withStore { store, client, logger in
                if let campaignID, try await CampaignStore(client: client, logger: logger).find(id: campaignID) == nil {
                    throw ValidationError("no campaign has id \(campaignID.uuidString.lowercased()) (see `replayd campaign list`)")
                }
                return try await store.create(name: name, campaignID: campaignID, expiresAt: expiresAt)
            }
            if json {
                print("{\"id\":\"\(token.id.uuidString.lowercased())\",\"token\":\"\(secret)\"}")
                return
            }
            print("""
                created analyst token \(token.name)
                  id        \(token.id.uuidString.lowercased())
                  token     \(secret)
                  campaign  \(token.campaignID.map { $0.uuidString.lowercased() } ?? "all campaigns")
                  expires   \(token.expiresAt.map(TokenCommand.format) ?? "never (revoke with `replayd token revoke \(token.id.uuidString.lowercased())`)")
                The token is shown only now; send it as `Authorization: Bearer \(secret)`.
                """)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List analyst tokens (never their secrets).")
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let tokens = try await TokenCommand.withStore { store, _, _ in try await store.list() }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(tokens), as: UTF8.self))
                return
            }
            for token in tokens {
                let state = token.revokedAt != nil ? "revoked" : (token.isActive() ? "active " : "expired")
                let scope = token.campaignID.map { "campaign=\($0.uuidString.lowercased())" } ?? "campaign=all"
                let expiry = token.expiresAt.map { "expires=\(TokenCommand.format($0))" } ?? "expires=never"
                print("\(token.id.uuidString.lowercased())  \(state)  \(scope)  \(expiry)  created=\(TokenCommand.format(token.createdAt))  \(token.name)")
            }
            if tokens.isEmpty { print("no analyst tokens yet: replayd token create --name …") }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an analyst token (it stops working within 30 s).")
        @Argument(help: "Token id (see `replayd token list`).") var id: String

        func run() async throws {
            guard let uuid = UUID(uuidString: id) else {
                throw ValidationError("\(id) is not a token id (see `replayd token list`)")
            }
            let revoked = try await TokenCommand.withStore { store, _, _ in try await store.revoke(id: uuid) }
            guard let token = revoked else { throw ValidationError("no analyst token has id \(id) (see `replayd token list`)") }
            print("revoked analyst token \(token.name) (\(token.id.uuidString.lowercased())) at \(TokenCommand.format(token.revokedAt ?? Date()))")
        }
    }

    /// `3600`, `90s`, `15m`, `12h`, `30d` as seconds.
    static func seconds(_ text: String) -> TimeInterval? {
        let lower = text.lowercased().trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, scale) in units where lower.hasSuffix(suffix) {
            guard let value = Double(lower.dropLast()), value > 0, value.isFinite else { return nil }
            return value * scale
        }
        guard let value = Double(lower), value > 0, value.isFinite else { return nil }
        return value
    }

    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }

    static func withStore<T: Sendable>(
        _ body: @Sendable (AnalystTokenStore, PostgresClient, Logger) async throws -> T
    ) async throws -> T {
        let config = try ReplaydConfiguration.load()
        Observability.bootstrapLogging(logLevel: .warning)
        let logger = Logger(label: "replayd.token")
        return try await PostgresClient.withClient(config.postgres, logger: logger) { client in
            try await body(AnalystTokenStore(client: client, logger: logger), client, logger)
        }
    }
}
