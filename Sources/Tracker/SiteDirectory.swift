import Database
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Dense site ids per (campaign, host): assigned once in Postgres (`sites`), cached in process.
///
/// Ids start at 0 and grow by one per new host of a campaign, so per-campaign bitmaps stay compact.
/// New ids are assigned under a transaction-scoped advisory lock per campaign; concurrent lookups of
/// the same unknown host in this process share one query.
final class SiteDirectory: Sendable {
    struct Key: Hashable, Sendable {
        var campaign: UUID
        var host: String
    }

    struct State {
        var ids: [Key: Int] = [:]
        var inflight: [Key: Task<Int, any Error>] = [:]
    }

    let postgres: PostgresClient
    let logger: Logger
    let capacity: Int
    private let state = Mutex(State())

    init(postgres: PostgresClient, capacity: Int, logger: Logger) {
        self.postgres = postgres
        self.capacity = max(1, capacity)
        self.logger = logger
    }

    /// The id when this process already knows it.
    func cached(campaign: UUID, host: String) -> Int? {
        state.withLock { $0.ids[Key(campaign: campaign, host: host)] }
    }

    /// The id of `host`, assigning one when the host is new and the campaign has fewer than
    /// `maxSites` sites. Throws ``DatabaseError``, or ``TrackerError/siteLimitReached(limit:)``.
    func id(campaign: UUID, host: String, maxSites: Int) async throws -> Int {
        let key = Key(campaign: campaign, host: host)
        enum Step { case known(Int), wait(Task<Int, any Error>) }
        let step: Step = state.withLock { state in
            if let id = state.ids[key] { return .known(id) }
            if let task = state.inflight[key] { return .wait(task) }
            let task = Task { try await self.load(key, maxSites: maxSites) }
            state.inflight[key] = task
            return .wait(task)
        }
        switch step {
        case .known(let id): return id
        case .wait(let task): return try await task.value
        }
    }

    private func load(_ key: Key, maxSites: Int) async throws -> Int {
        do {
            let id = try await lookupOrAssign(key, maxSites: maxSites)
            state.withLock { state in
                state.inflight[key] = nil
                // A simple bound: the cache is refilled from Postgres on demand.
                if state.ids.count >= capacity { state.ids.removeAll(keepingCapacity: true) }
                state.ids[key] = id
            }
            return id
        } catch {
            _ = state.withLock { $0.inflight.removeValue(forKey: key) }
            if error is TrackerError { throw error }
            throw DatabaseError(error, doing: "assigning a site id to \(key.host)")
        }
    }

    private func lookupOrAssign(_ key: Key, maxSites: Int) async throws -> Int {
        let rows = try await postgres.query(
            "SELECT site_id FROM sites WHERE campaign_id = \(key.campaign) AND host = \(key.host)", logger: logger)
        for try await id in rows.decode(Int.self) { return id }
        let lockName = "replayd.sites:" + key.campaign.uuidString.lowercased()
        // nil: the cap is reached (the transaction wraps errors thrown inside it, so it answers nil).
        let assigned: Int? = try await postgres.withTransaction(logger: logger) { connection -> Int? in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(lockName), 0))", logger: logger)
            let inserted = try await connection.query(
                """
                INSERT INTO sites (campaign_id, site_id, host)
                SELECT \(key.campaign), COALESCE(MAX(site_id) + 1, 0), \(key.host) FROM sites WHERE campaign_id = \(key.campaign)
                HAVING COALESCE(MAX(site_id) + 1, 0) < \(maxSites)
                ON CONFLICT (campaign_id, host) DO NOTHING
                RETURNING site_id
                """, logger: logger)
            for try await id in inserted.decode(Int.self) { return id }
            let existing = try await connection.query(
                "SELECT site_id FROM sites WHERE campaign_id = \(key.campaign) AND host = \(key.host)", logger: logger)
            for try await id in existing.decode(Int.self) { return id }
            // Ids are dense from 0, so not inserting and not finding it means the cap is reached.
            return nil
        }
        guard let assigned else { throw TrackerError.siteLimitReached(limit: maxSites) }
        return assigned
    }
}
