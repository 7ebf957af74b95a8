import Core
import Database
import Foundation
import Logging
import Metrics
import PostgresNIO
import Redis
import ServiceLifecycle
import Synchronization

/// Records snippet installs: one bit per site per UTC day per campaign in Redis bitmaps, plus an
/// ever-installed bitmap and per-site last-seen and snippet version (key names: ``InstallKeys``).
/// Postgres (`sites`, `site_days`) is the record.
///
/// **Ping path** (``recordPing(campaign:host:version:at:)``): the site id comes from the in-process
/// cache (Postgres only for a host this process has not seen), then one Redis round trip (the atomic
/// ``sightingScript``: day bit + `EXPIREAT`, ever bit, host, last seen and version).
/// When that round trip reports the first sighting of the site on the day (`SETBIT` returned 0), a
/// change of snippet version, or the first ping in a new `lastSeenResolution` interval, the sighting
/// is queued; the background writer (``run()``) upserts queued sightings in batches, so a ping never
/// waits on Postgres while Redis is up. A site that this process already recorded in the current
/// `lastSeenResolution` interval of the day, with the same snippet version, costs no round trip at
/// all (its bits are set and its last seen is current to the resolution), so a busy site's page
/// loads cost Redis one script per interval per Collector.
///
/// **Redis unreachable**: pings are upserted straight into Postgres (one row per ping) and status is
/// read from Postgres. Redis is probed every `redisRetryInterval`; once it answers, the days written
/// to Postgres meanwhile are replayed into it (partial rewarm), and if it lost its data (`inst:warm`
/// missing: restart without persistence, flush) every site and every day within retention is replayed
/// (full rewarm). Until the rewarm is done, status keeps reading Postgres.
///
/// **Postgres unreachable**: pings of known sites still land in Redis; their queued sightings stay in
/// memory and are written when Postgres is back (no loss unless this process dies meanwhile). A host
/// never seen by this process cannot get a site id: its sightings are held in memory by host, and get
/// an id, their bits and their rows when Postgres is back. Status is answered from Redis.
///
/// **Both unreachable**: pings are held in memory (bounded by `maxPendingUpserts`, beyond which pings
/// are refused with 503 so the snippet retries later) and written once Postgres is back; status
/// answers 503. Held sightings are lost if the process dies before Postgres returns.
public final class InstallTracker: Sendable, Service {
    let redis: RedisClient
    let configuration: TrackerConfiguration
    let logger: Logger
    let clock: @Sendable () -> Date
    let store: InstallStore
    let directory: SiteDirectory
    let pingWindow = PingWindow()
    let state = Mutex(TrackerState())

    public init(redis: RedisClient, postgres: PostgresClient, configuration: TrackerConfiguration, logger: Logger,
                clock: @escaping @Sendable () -> Date = Date.init) {
        self.redis = redis
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.store = InstallStore(client: postgres, logger: logger)
        self.directory = SiteDirectory(postgres: postgres, capacity: configuration.siteCacheCapacity, logger: logger)
    }

    /// Records one ping of `host` (the page URL's host) for `campaign`, at `at` (default: the clock).
    /// Throws ``TrackerError`` (503) when the ping can be neither recorded nor held, and Redis or
    /// Postgres errors that are not outages.
    public func recordPing(campaign: Campaign, host: String, version: String?, at: Date? = nil) async throws {
        let millis = Millis.of(at ?? clock())
        let day = UTCDay(Millis.date(millis)).number
        let host = host.lowercased()
        let sighting = Sighting(at: millis, version: version)
        if let retryAfter = pingWindow.admit(campaign: campaign.id, limit: campaign.installPingsPerMinute, millis: Millis.of(clock())) {
            TrackerMetrics.ping(store: "refused")
            throw TrackerError.pingsLimited(limit: campaign.installPingsPerMinute, retryAfter: retryAfter)
        }
        guard pendingCount < configuration.maxPendingUpserts else { throw TrackerError.overloaded }

        let siteID: Int
        if let cached = directory.cached(campaign: campaign.id, host: host) {
            siteID = cached
        } else {
            let heldKey = HostDayKey(campaign: campaign.id, host: host, day: day, maxSites: campaign.maxSites)
            // While Postgres is known to be down, new hosts are held at once instead of each
            // waiting `postgresTimeout`; one ping per `redisRetryInterval` probes it again.
            let skipPostgres = state.withLock { state in
                guard let retryAt = state.postgresRetryAt, ContinuousClock.now < retryAt else {
                    if state.postgresRetryAt != nil {
                        state.postgresRetryAt = ContinuousClock.now + configuration.redisRetryInterval
                    }
                    return false
                }
                return true
            }
            if skipPostgres {
                hold(heldKey, sighting)
                TrackerMetrics.ping(store: "memory")
                return
            }
            do {
                siteID = try await withPostgresDeadline(configuration.postgresTimeout, doing: "assigning a site id") {
                    try await self.directory.id(campaign: campaign.id, host: host, maxSites: campaign.maxSites)
                }
                state.withLock { $0.postgresRetryAt = nil }
            } catch where error.isPostgresUnavailable {
                state.withLock { $0.postgresRetryAt = ContinuousClock.now + configuration.redisRetryInterval }
                hold(heldKey, sighting)
                TrackerMetrics.ping(store: "memory")
                return
            }
        }
        let key = SiteDayKey(campaign: campaign.id, site: siteID, day: day)
        let interval = resolutionInterval(millis)
        if let interval, state.withLock({ $0.recent[key].map { $0.interval == interval && (version == nil || $0.version == version) } ?? false }) {
            TrackerMetrics.ping(store: "recent")
            return
        }

        if redisReachable() {
            do {
                if try await recordInRedis(key, host: host, sighting) { enqueue(key, sighting) }
                if let interval { remember(key, interval: interval, version: version) }
                redisAnswered()
                TrackerMetrics.ping(store: "redis")
                return
            } catch let error as RedisError where error.isConnectionError {
                redisFailed(error)
            }
        }
        TrackerMetrics.fallback.increment()
        try await recordInPostgres(key, sighting)
    }

    /// Redis is skipped: the ping is upserted directly (or held when Postgres is down too).
    private func recordInPostgres(_ key: SiteDayKey, _ sighting: Sighting) async throws {
        state.withLock { state in
            state.fallbacksInFlight += 1
            state.requestRewarm(.since(key.day))
        }
        defer { state.withLock { $0.fallbacksInFlight -= 1 } }
        do {
            try await withPostgresDeadline(configuration.postgresTimeout, doing: "recording an install ping") {
                try await self.store.upsert([(key, sighting)])
            }
            TrackerMetrics.ping(store: "postgres")
        } catch where error.isPostgresUnavailable {
            enqueue(key, sighting)
            TrackerMetrics.ping(store: "memory")
        }
    }

    /// One Redis round trip (``sightingScript``); returns whether the sighting must be queued for Postgres.
    func recordInRedis(_ key: SiteDayKey, host: String, _ sighting: Sighting) async throws -> Bool {
        let campaign = key.campaign
        let keys = [InstallKeys.ever(campaign), InstallKeys.seen(campaign), InstallKeys.version(campaign),
                    InstallKeys.hosts(campaign), InstallKeys.day(campaign, UTCDay(number: key.day))]
        let expireAt = (key.day + configuration.retentionDays + 1) * 86_400
        let reply = try await redis.eval(
            sightingScript, keys: keys,
            arguments: [String(key.site), String(sighting.last), sighting.version ?? "", host, String(expireAt)])
        guard let values = reply.array, values.count == 3 else {
            throw RedisError(kind: .protocolError, message: "the install tracker script answered \(reply) instead of 3 values")
        }
        let firstToday = values[0].int == 0
        let previousSeen = values[1].string.flatMap { Int64($0) }
        let versionChanged = sighting.version != nil && values[2].string != sighting.version
        return firstToday || versionChanged || previousSeen.map { crossesResolution(from: $0, to: sighting.last) } ?? true
    }

    /// `lastSeenResolution` in milliseconds (0: every ping is recorded).
    private var resolutionMillis: Int64 {
        let resolution = configuration.lastSeenResolution.components
        return resolution.seconds * 1000 + resolution.attoseconds / 1_000_000_000_000_000
    }

    /// The `lastSeenResolution` interval `millis` falls in; `nil` when every ping must be recorded.
    private func resolutionInterval(_ millis: Int64) -> Int64? {
        let resolution = resolutionMillis
        return resolution > 0 ? millis / resolution : nil
    }

    private func remember(_ key: SiteDayKey, interval: Int64, version: String?) {
        state.withLock { state in
            if state.recent.count >= configuration.siteCacheCapacity { state.recent.removeAll(keepingCapacity: true) }
            let known = state.recent[key]?.version
            state.recent[key] = (interval, version ?? known)
        }
    }

    private func crossesResolution(from previous: Int64, to now: Int64) -> Bool {
        guard let before = resolutionInterval(previous), let after = resolutionInterval(now) else { return true }
        return before != after
    }

    static func checkReplies(_ replies: [RedisReply]) throws {
        for reply in replies {
            if case .error(let text) = reply {
                throw RedisError(kind: .server(text), message: "Redis answered an install tracker command with an error: \(text)")
            }
        }
    }

    // MARK: - Redis health

    func redisReachable() -> Bool {
        state.withLock { state in
            guard let retryAt = state.redisRetryAt else { return true }
            if ContinuousClock.now < retryAt { return false }
            // Let this caller probe; others keep skipping Redis until it answers or fails.
            state.redisRetryAt = ContinuousClock.now + configuration.redisRetryInterval
            return true
        }
    }

    /// Redis can answer status: reachable and not missing data that Postgres has.
    func redisReadable() -> Bool {
        state.withLock { $0.redisRetryAt == nil && $0.rewarmNeeded == nil && !$0.rewarming }
    }

    func redisFailed(_ error: any Error) {
        let first = state.withLock { state in
            defer { state.redisRetryAt = ContinuousClock.now + configuration.redisRetryInterval }
            // Redis may come back without its data: record every site again once it answers.
            state.recent.removeAll()
            return state.redisRetryAt == nil
        }
        if first {
            logger.warning("install tracker cannot reach Redis; recording pings in PostgreSQL",
                           metadata: ["error": "\(error)"])
        }
    }

    func redisAnswered() {
        let recovered = state.withLock { state in
            defer { state.redisRetryAt = nil }
            return state.redisRetryAt != nil
        }
        if recovered { logger.info("install tracker reaches Redis again") }
    }
}
