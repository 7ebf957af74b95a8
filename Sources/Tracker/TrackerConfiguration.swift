import Core

/// Settings of the install tracker (``InstallTracker``).
///
/// Environment variables (read by ``load(from:)``): `REPLAYD_TRACKER_RETENTION_DAYS`,
/// `REPLAYD_TRACKER_FLUSH_INTERVAL`, `REPLAYD_TRACKER_MAX_BATCH`, `REPLAYD_TRACKER_MAX_PENDING`,
/// `REPLAYD_TRACKER_REDIS_RETRY`, `REPLAYD_TRACKER_LAST_SEEN_RESOLUTION`.
public struct TrackerConfiguration: Sendable {
    /// How many UTC days a per-day bitmap lives in Redis (its TTL). Older days are read from Postgres.
    public var retentionDays = 400
    /// How often the background writer upserts pending first sightings into Postgres.
    public var flushInterval: Duration = .milliseconds(500)
    /// Rows per upsert statement.
    public var maxBatch = 500
    /// Upserts held in memory (Postgres slow or down) before pings are refused with 503.
    public var maxPendingUpserts = 100_000
    /// After a Redis failure, Redis is skipped for this long before it is probed again.
    public var redisRetryInterval: Duration = .seconds(1)
    /// A site's `last_seen` in Postgres is refreshed at most once per this interval (the first ping
    /// in each interval is persisted), so Postgres trails Redis by less than this. `.zero`: every ping.
    public var lastSeenResolution: Duration = .seconds(60)
    /// (campaign, host) → site id entries kept in process.
    public var siteCacheCapacity = 1_000_000
    /// How long a ping or status request waits for Postgres before treating it as down.
    public var postgresTimeout: Duration = .seconds(2)
    /// The longest date range a status request may cover.
    public var maxStatusDays = 1_000

    public init() {}

    /// Reads the `REPLAYD_TRACKER_*` variables; problems are collected in `reader`.
    public static func load(from reader: inout EnvironmentReader) -> TrackerConfiguration {
        var config = TrackerConfiguration()
        config.retentionDays = reader.int("REPLAYD_TRACKER_RETENTION_DAYS", default: config.retentionDays, range: 1...10_000)
        config.flushInterval = reader.duration("REPLAYD_TRACKER_FLUSH_INTERVAL", default: config.flushInterval,
                                               minimum: .milliseconds(10))
        config.maxBatch = reader.int("REPLAYD_TRACKER_MAX_BATCH", default: config.maxBatch, range: 1...10_000)
        config.maxPendingUpserts = reader.int("REPLAYD_TRACKER_MAX_PENDING", default: config.maxPendingUpserts,
                                              range: 1...100_000_000)
        config.redisRetryInterval = reader.duration("REPLAYD_TRACKER_REDIS_RETRY", default: config.redisRetryInterval,
                                                    minimum: .milliseconds(10))
        config.lastSeenResolution = reader.duration("REPLAYD_TRACKER_LAST_SEEN_RESOLUTION",
                                                    default: config.lastSeenResolution)
        return config
    }
}
