import Core

/// Settings of the ingest path, with defaults for production. The executable fills it from
/// `REPLAYD_COLLECTOR_*` variables (see README, Configuration).
public struct CollectorConfiguration: Sendable {
    /// Largest accepted batch after decompression (`413` beyond; decompression stops at the limit).
    public var maxBatchBytes: Int = 16 << 20
    /// Batch bytes the process holds at once over all requests (bodies being read, inflated,
    /// validated, published); a request beyond it gets 503 with `Retry-After` before its body is read.
    public var maxInflightBytes: Int = 256 << 20
    /// Events per batch and timestamp skew.
    public var limits = BatchLimits()
    /// How long a campaign read from Postgres is trusted (pausing takes effect within this time).
    public var campaignCacheTTL: Duration = .seconds(30)
    /// How long an unknown key is remembered as unknown.
    public var negativeCacheTTL: Duration = .seconds(10)
    /// How long a campaign lookup may wait for PostgreSQL. Past it the lookup fails, so an expired
    /// cache entry is served (and an unknown key answered 503) instead of the batch waiting for
    /// PostgreSQL to come back (its connection pool keeps retrying rather than failing).
    public var campaignLoadTimeout: Duration = .seconds(2)
    public var campaignCacheCapacity: Int = 10_000
    /// The new-session window (sessions per campaign per window).
    public var sessionWindow: Duration = .seconds(3600)
    /// How long an admitted session stays admitted after its admission.
    public var admissionTTL: Duration = .seconds(86_400)
    /// Sessions remembered per process as admitted (no Redis round trip for their later batches).
    public var admissionCacheCapacity: Int = 200_000
    /// What to do while Redis is unreachable: `local` applies per-process limits (the campaign's
    /// limits divided by `expectedInstances`), `open` admits everything, `closed` answers 503.
    public var redisDownPolicy: RedisDownPolicy = .local
    public var expectedInstances: Int = 1
    /// How the client's IP is recorded in the Kafka headers.
    public var clientIPPolicy: ClientIPPolicy = .anonymized
    /// Trust the first address of `X-Forwarded-For` (only behind a proxy that sets it).
    public var trustForwardedFor: Bool = false
    /// Topic the batches go to.
    public var topic: String = "replay.batches"
    /// Public URL of this Collector, used by the snippet when it is not told otherwise.
    public var publicURL: String?

    public init() {}

    public enum RedisDownPolicy: String, Sendable, CaseIterable { case local, open, closed }
    public enum ClientIPPolicy: String, Sendable, CaseIterable {
        /// Not recorded.
        case none
        /// IPv4 /24, IPv6 /48: enough for rough geography, not a person.
        case anonymized
        /// As seen.
        case full
    }
}
