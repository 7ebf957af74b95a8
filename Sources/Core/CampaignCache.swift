import Synchronization

/// The hot path's view of campaigns: an in-process LRU with a TTL in front of Postgres.
///
/// - A miss for a key that is already being loaded waits for that load (one query per burst).
/// - Unknown keys are cached too, for `negativeTTL`, so a flood of bad keys does not reach Postgres.
/// - When a reload fails (Postgres down) an expired entry is served until it is `staleLimit` old, so
///   known campaigns keep ingesting through a short database outage.
public final class CampaignCache: Sendable {
    public typealias Loader = @Sendable (String) async throws -> Campaign?

    struct Entry {
        var campaign: Campaign?
        var loadedAt: ContinuousClock.Instant
        var lastUsed: UInt64
    }

    struct State {
        var entries: [String: Entry] = [:]
        var inflight: [String: Task<Campaign?, any Error>] = [:]
        var tick: UInt64 = 0
    }

    let ttl: Duration
    let negativeTTL: Duration
    let staleLimit: Duration
    let capacity: Int
    let loader: Loader
    private let state = Mutex(State())

    public init(ttl: Duration, negativeTTL: Duration, capacity: Int, staleLimit: Duration? = nil, loader: @escaping Loader) {
        self.ttl = ttl
        self.negativeTTL = negativeTTL
        self.capacity = max(1, capacity)
        self.staleLimit = staleLimit ?? ttl * 20
        self.loader = loader
    }

    /// The campaign with this public key, or nil when none exists.
    public func campaign(forKey key: String) async throws -> Campaign? {
        let now = ContinuousClock.now
        enum Step { case hit(Campaign?), wait(Task<Campaign?, any Error>) }
        let step: Step = state.withLock { state in
            state.tick &+= 1
            if var entry = state.entries[key] {
                let lifetime = entry.campaign == nil ? negativeTTL : ttl
                if now - entry.loadedAt < lifetime {
                    entry.lastUsed = state.tick
                    state.entries[key] = entry
                    return .hit(entry.campaign)
                }
            }
            if let task = state.inflight[key] { return .wait(task) }
            let task = Task { try await self.load(key) }
            state.inflight[key] = task
            return .wait(task)
        }
        switch step {
        case .hit(let campaign): return campaign
        case .wait(let task): return try await task.value
        }
    }

    /// Forgets one key (the CLI's changes reach other processes through the TTL).
    public func invalidate(key: String) {
        _ = state.withLock { $0.entries.removeValue(forKey: key) }
    }

    private func load(_ key: String) async throws -> Campaign? {
        do {
            let campaign = try await loader(key)
            state.withLock { state in
                state.inflight[key] = nil
                state.entries[key] = Entry(campaign: campaign, loadedAt: .now, lastUsed: state.tick)
                if state.entries.count > capacity { Self.evict(&state, keeping: capacity) }
            }
            return campaign
        } catch {
            let stale: Entry? = state.withLock { state in
                state.inflight[key] = nil
                return state.entries[key]
            }
            if let stale, stale.campaign != nil, ContinuousClock.now - stale.loadedAt < staleLimit {
                return stale.campaign
            }
            throw error
        }
    }

    /// Drops the least recently used tenth (amortised O(1) per insert).
    private static func evict(_ state: inout State, keeping capacity: Int) {
        let target = capacity - max(1, capacity / 10)
        let victims = state.entries.sorted { $0.value.lastUsed < $1.value.lastUsed }.prefix(state.entries.count - target)
        for (key, _) in victims { state.entries[key] = nil }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
