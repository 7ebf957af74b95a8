import Core
import Foundation
import Logging
import PostgresNIO

/// Campaigns in PostgreSQL (table `campaigns`): the record the CLI writes and the cache reads.
public struct CampaignStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public struct NewCampaign: Sendable {
        public var name: String
        public var allowedOrigins: [String]
        public var sessionsPerHour: Int = 10_000
        public var eventsPerSecond: Int = 2_000
        public var installPingsPerMinute = Campaign.defaultInstallPingsPerMinute
        public var maxSites = Campaign.defaultMaxSites
        public init(name: String, allowedOrigins: [String]) {
            self.name = name
            self.allowedOrigins = allowedOrigins
        }
    }

    public func create(_ new: NewCampaign) async throws -> Campaign {
        let key = Campaign.generatePublicKey()
        return try await one(
            """
            INSERT INTO campaigns (name, public_key, allowed_origins, sessions_per_hour, events_per_second,
                                   install_pings_per_minute, max_sites)
            VALUES (\(new.name), \(key), \(new.allowedOrigins), \(new.sessionsPerHour), \(new.eventsPerSecond),
                    \(new.installPingsPerMinute), \(new.maxSites))
            RETURNING \(unescaped: Self.columns)
            """, doing: "creating campaign \(new.name)")!
    }

    public func find(publicKey: String) async throws -> Campaign? {
        try await one("SELECT \(unescaped: Self.columns) FROM campaigns WHERE public_key = \(publicKey)",
                      doing: "looking up a campaign key")
    }

    public func find(id: UUID) async throws -> Campaign? {
        try await one("SELECT \(unescaped: Self.columns) FROM campaigns WHERE id = \(id)", doing: "looking up campaign \(id)")
    }

    public func list() async throws -> [Campaign] {
        try await all("SELECT \(unescaped: Self.columns) FROM campaigns ORDER BY created_at, name", doing: "listing campaigns")
    }

    /// Changes what is given; returns nil when no campaign has this id.
    public func update(id: UUID, name: String? = nil, allowedOrigins: [String]? = nil, sessionsPerHour: Int? = nil,
                       eventsPerSecond: Int? = nil, installPingsPerMinute: Int? = nil, maxSites: Int? = nil,
                       paused: Bool? = nil) async throws -> Campaign? {
        try await one(
            """
            UPDATE campaigns SET
                name = COALESCE(\(name), name),
                allowed_origins = COALESCE(\(allowedOrigins), allowed_origins),
                sessions_per_hour = COALESCE(\(sessionsPerHour), sessions_per_hour),
                events_per_second = COALESCE(\(eventsPerSecond), events_per_second),
                install_pings_per_minute = COALESCE(\(installPingsPerMinute), install_pings_per_minute),
                max_sites = COALESCE(\(maxSites), max_sites),
                paused = COALESCE(\(paused), paused),
                updated_at = now()
            WHERE id = \(id)
            RETURNING \(unescaped: Self.columns)
            """, doing: "updating campaign \(id)")
    }

    static let columns = """
        id, name, public_key, allowed_origins, sessions_per_hour, events_per_second, install_pings_per_minute, max_sites, paused
        """

    private func one(_ query: PostgresQuery, doing action: String) async throws -> Campaign? {
        try await all(query, doing: action).first
    }

    private func all(_ query: PostgresQuery, doing action: String) async throws -> [Campaign] {
        do {
            let rows = try await client.query(query, logger: logger)
            var campaigns: [Campaign] = []
            for try await (id, name, key, origins, sessions, events, pings, sites, paused) in rows.decode(
                (UUID, String, String, [String], Int, Int, Int, Int, Bool).self)
            {
                campaigns.append(Campaign(id: id, name: name, publicKey: key, allowedOrigins: origins,
                                          sessionsPerHour: sessions, eventsPerSecond: events,
                                          installPingsPerMinute: pings, maxSites: sites, paused: paused))
            }
            return campaigns
        } catch {
            throw DatabaseError(error, doing: action)
        }
    }
}
