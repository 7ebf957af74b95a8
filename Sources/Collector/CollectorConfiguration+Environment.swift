import Core

extension CollectorConfiguration {
    /// The Collector's own `REPLAYD_*` variables; `limits` and `topic` are shared settings that the
    /// caller read once (the Processor gets the same).
    public init(from reader: inout EnvironmentReader, limits: BatchLimits, topic: String) {
        self.init()
        self.limits = limits
        self.topic = topic
        maxBatchBytes = reader.bytes("REPLAYD_MAX_BATCH_BYTES", default: maxBatchBytes, range: 1024...(256 << 20))
        maxInflightBytes = reader.bytes("REPLAYD_MAX_INFLIGHT_BYTES", default: maxInflightBytes, range: maxBatchBytes...(64 << 30))
        campaignCacheTTL = reader.duration("REPLAYD_CAMPAIGN_CACHE_TTL", default: campaignCacheTTL)
        negativeCacheTTL = reader.duration("REPLAYD_NEGATIVE_CACHE_TTL", default: negativeCacheTTL)
        campaignLoadTimeout = reader.duration("REPLAYD_CAMPAIGN_LOAD_TIMEOUT", default: campaignLoadTimeout, minimum: .milliseconds(100))
        sessionWindow = reader.duration("REPLAYD_SESSION_WINDOW", default: sessionWindow, minimum: .seconds(1))
        admissionTTL = reader.duration("REPLAYD_ADMISSION_TTL", default: admissionTTL, minimum: .seconds(1))
        let policy = reader.choice("REPLAYD_REDIS_DOWN_POLICY", default: redisDownPolicy.rawValue,
                                   in: RedisDownPolicy.allCases.map(\.rawValue))
        redisDownPolicy = RedisDownPolicy(rawValue: policy) ?? .local
        expectedInstances = reader.int("REPLAYD_COLLECTOR_INSTANCES", default: expectedInstances, range: 1...10_000)
        let ipPolicy = reader.choice("REPLAYD_CLIENT_IP", default: clientIPPolicy.rawValue,
                                     in: ClientIPPolicy.allCases.map(\.rawValue))
        clientIPPolicy = ClientIPPolicy(rawValue: ipPolicy) ?? .anonymized
        trustForwardedFor = reader.bool("REPLAYD_TRUST_FORWARDED_FOR", default: trustForwardedFor)
    }
}
