import Database
import Foundation
import Logging
import Metrics
import Synchronization

/// Answers "does campaign X exist?" for the Processor from PostgreSQL, remembering answers for a
/// while so the hot path rarely queries. A campaign once found is served stale while PostgreSQL
/// cannot be reached (an outage dead-letters nothing that flowed before it; ``staleServed`` counts
/// it); a failed lookup of a campaign not known to exist throws (``DatabaseError``, transient, so the
/// record is retried with backoff); a campaign that does not exist makes its records poison.
public final class CampaignDirectory: Sendable {
    private struct Entry {
        var exists: Bool
        var expires: ContinuousClock.Instant
    }

    private let store: CampaignStore
    private let ttl: Duration
    /// How long a lookup may wait for PostgreSQL (its connection pool keeps retrying rather than
    /// failing, which would keep the stale answer from ever being served).
    private let loadTimeout: Duration
    private let entries = Mutex<[UUID: Entry]>([:])
    private let staleCounter = Counter(label: "replayd_processor_campaign_stale_total")

    public init(store: CampaignStore, ttl: Duration = .seconds(60), loadTimeout: Duration = .seconds(2)) {
        self.store = store
        self.ttl = ttl
        self.loadTimeout = loadTimeout
    }

    /// Whether the campaign exists; cached for the TTL (unknown ids for a tenth of it, at least 1 s,
    /// so a campaign created just now is seen soon).
    public func exists(_ id: UUID) async throws -> Bool {
        let now = ContinuousClock.now
        let cached = entries.withLock { $0[id] }
        if let cached, cached.expires > now { return cached.exists }
        let exists: Bool
        do {
            let store = store
            exists = try await withPostgresDeadline(loadTimeout, doing: "looking up campaign \(id)") {
                try await store.find(id: id) != nil
            }
        } catch {
            // Known to exist before the outage: campaigns are never deleted while their batches
            // flow, so the stale answer is the right one (a deleted campaign's batches go on to be
            // stored until PostgreSQL answers again).
            guard let cached, cached.exists else { throw error }
            staleCounter.increment()
            return true
        }
        let lifetime = exists ? ttl : max(ttl / 10, .seconds(1))
        entries.withLock { entries in
            if entries.count > 100_000 { entries = entries.filter { $0.value.exists } }
            if entries.count > 100_000 { entries.removeAll(keepingCapacity: true) }
            entries[id] = Entry(exists: exists, expires: now + lifetime)
        }
        return exists
    }
}
