import Database
import Foundation
import Logging
import Synchronization

/// Answers "does campaign X exist?" for the Processor from PostgreSQL, remembering answers for a
/// while so the hot path rarely queries. A failed lookup throws (``DatabaseError``, transient);
/// a campaign that does not exist makes its records poison.
public final class CampaignDirectory: Sendable {
    private struct Entry {
        var exists: Bool
        var expires: ContinuousClock.Instant
    }

    private let store: CampaignStore
    private let ttl: Duration
    private let entries = Mutex<[UUID: Entry]>([:])

    public init(store: CampaignStore, ttl: Duration = .seconds(60)) {
        self.store = store
        self.ttl = ttl
    }

    /// Whether the campaign exists; cached for the TTL (unknown ids for a tenth of it, at least 1 s,
    /// so a campaign created just now is seen soon).
    public func exists(_ id: UUID) async throws -> Bool {
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[id] }), entry.expires > now { return entry.exists }
        let exists = try await store.find(id: id) != nil
        let lifetime = exists ? ttl : max(ttl / 10, .seconds(1))
        entries.withLock { entries in
            if entries.count > 100_000 { entries.removeAll(keepingCapacity: true) }
            entries[id] = Entry(exists: exists, expires: now + lifetime)
        }
        return exists
    }
}
