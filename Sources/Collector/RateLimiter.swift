import HTTPSupport
import Core
import Foundation
import Logging
import Metrics
import Redis
import Synchronization

/// Per-campaign limits, shared by every Collector through Redis.
///
/// - **New sessions per window**: a session is admitted once (sliding window over a sorted set) and
///   stays admitted for `admissionTTL`; this process remembers admissions, so an admitted session's
///   later batches need no admission round trip. A refused session is told to stop recording.
/// - **Events per second**: a sliding-window counter. To keep the common case off the network, a
///   grant may include a small lease (at most 1/20 of the campaign's rate) that this process spends
///   locally within the same second; leased tokens are already counted in Redis, so instances never
///   over-admit together, they can only leave up to 5% of the rate unused per instance.
/// - **Redis unreachable**: after a failure Redis is skipped for `retryInterval`, and the configured
///   ``CollectorConfiguration/RedisDownPolicy`` applies (default: the same limits enforced per
///   process, divided by the expected number of instances). Counted in `replayd_limiter_degraded_total`.
public final class RateLimiter: Sendable {
    public enum Decision: Sendable, Equatable {
        case allowed
        case rateLimited(retryAfterSeconds: Int)
        case sessionRefused(retryAfterSeconds: Int)
        /// Redis is down and the policy is `closed`.
        case unavailable
    }

    struct Lease { var second: Int64; var tokens: Int }
    struct State {
        var admitted = LRUSet(capacity: 200_000)
        var leases: [String: Lease] = [:]
        /// Campaigns with a lease request on the wire (others ask Redis for exactly what they need).
        var leasing: Set<String> = []
        var redisDownUntil: ContinuousClock.Instant?
    }

    let redis: RedisClient
    let configuration: CollectorConfiguration
    let logger: Logger
    let local: LocalLimiter
    let retryInterval: Duration = .seconds(1)
    private let state: Mutex<State>
    private let degraded = Counter(label: "replayd_limiter_degraded_total")
    private let roundTrips = Counter(label: "replayd_limiter_redis_calls_total")

    public init(redis: RedisClient, configuration: CollectorConfiguration, logger: Logger) {
        self.redis = redis
        self.configuration = configuration
        self.logger = logger
        self.local = LocalLimiter(window: configuration.sessionWindow, instances: configuration.expectedInstances)
        self.state = Mutex(State(admitted: LRUSet(capacity: configuration.admissionCacheCapacity)))
    }

    public func check(campaign: Campaign, session: String, events: Int) async -> Decision {
        let campaignID = campaign.id.uuidString.lowercased()
        let admissionKey = campaignID + "/" + session
        let nowSecond = Self.currentSecond()
        enum Fast { case done(Decision), redis(checkSession: Bool, reservedLocally: Bool, leasing: Bool), degraded }
        let fast: Fast = state.withLock { state in
            if let until = state.redisDownUntil, ContinuousClock.now < until { return .degraded }
            let known = state.admitted.contains(admissionKey)
            var reserved = false
            if var lease = state.leases[campaignID], lease.second == nowSecond, lease.tokens >= events {
                lease.tokens -= events
                state.leases[campaignID] = lease
                reserved = true
            }
            if known && reserved { return .done(.allowed) }
            let leasing = !reserved && state.leasing.insert(campaignID).inserted
            return .redis(checkSession: !known, reservedLocally: reserved, leasing: leasing)
        }
        switch fast {
        case .done(let decision):
            return decision
        case .degraded:
            return degradedDecision(campaign: campaign, session: session, events: events)
        case .redis(let checkSession, let reservedLocally, let leasing):
            // Ask Redis for tokens only when the local lease could not cover this batch, and for a
            // new lease only from one request per campaign at a time.
            defer { if leasing { _ = state.withLock { $0.leasing.remove(campaignID) } } }
            let need = reservedLocally ? 0 : events
            let want = reservedLocally ? 0 : events + (leasing ? max(0, campaign.eventsPerSecond / 20) : 0)
            do {
                roundTrips.increment()
                let reply = try await redis.eval(
                    LimiterScript.script,
                    keys: LimiterScript.keys(campaign: campaignID, session: session),
                    arguments: [
                        checkSession ? "1" : "0", session,
                        String(configuration.sessionWindow.milliseconds), String(campaign.sessionsPerHour),
                        String(configuration.admissionTTL.milliseconds),
                        String(need), String(want), String(campaign.eventsPerSecond),
                    ])
                guard let values = reply.array?.compactMap(\.int), values.count == 3 else {
                    logger.error("unexpected limiter reply", metadata: ["reply": "\(reply)"])
                    refund(events, campaignID: campaignID, second: nowSecond, if: reservedLocally)
                    return degradedDecision(campaign: campaign, session: session, events: events)
                }
                let (admitted, granted, retryMillis) = (values[0] == 1, Int(values[1]), Int(values[2]))
                let retryAfter = max(1, (retryMillis + 999) / 1000)
                guard admitted else {
                    refund(events, campaignID: campaignID, second: nowSecond, if: reservedLocally)
                    return .sessionRefused(retryAfterSeconds: retryAfter)
                }
                return state.withLock { state in
                    state.redisDownUntil = nil
                    state.admitted.insert(admissionKey)
                    if reservedLocally { return .allowed }
                    guard granted >= min(events, campaign.eventsPerSecond) else {
                        return .rateLimited(retryAfterSeconds: retryAfter)
                    }
                    let spare = max(0, granted - events)
                    if spare > 0 {
                        var lease = state.leases[campaignID] ?? Lease(second: nowSecond, tokens: 0)
                        if lease.second != nowSecond { lease = Lease(second: nowSecond, tokens: 0) }
                        lease.tokens += spare
                        state.leases[campaignID] = lease
                    }
                    return .allowed
                }
            } catch {
                logger.warning("rate limiter cannot reach Redis; applying the \(configuration.redisDownPolicy.rawValue) policy",
                               metadata: ["error": "\(error)"])
                refund(events, campaignID: campaignID, second: nowSecond, if: reservedLocally)
                state.withLock { $0.redisDownUntil = ContinuousClock.now + retryInterval }
                return degradedDecision(campaign: campaign, session: session, events: events)
            }
        }
    }

    /// Gives back tokens reserved from the local lease for a batch that was not accepted.
    private func refund(_ events: Int, campaignID: String, second: Int64, if reserved: Bool) {
        guard reserved else { return }
        state.withLock { state in
            if var lease = state.leases[campaignID], lease.second == second {
                lease.tokens += events
                state.leases[campaignID] = lease
            }
        }
    }

    private func degradedDecision(campaign: Campaign, session: String, events: Int) -> Decision {
        degraded.increment()
        switch configuration.redisDownPolicy {
        case .open: return .allowed
        case .closed: return .unavailable
        case .local:
            let key = campaign.id.uuidString.lowercased() + "/" + session
            let known = state.withLock { $0.admitted.contains(key) }
            let decision = local.check(campaign: campaign, session: session, alreadyAdmitted: known, events: events)
            if decision == .allowed || decision.isRateLimitedOnly {
                state.withLock { $0.admitted.insert(key) }
            }
            return decision
        }
    }

    /// The wall-clock second (leases are valid within one second of Redis's clock, which the
    /// script uses; a small skew only shortens or lengthens one lease).
    static func currentSecond() -> Int64 {
        Int64(Date().timeIntervalSince1970.rounded(.down))
    }
}

extension RateLimiter.Decision {
    var isRateLimitedOnly: Bool { if case .rateLimited = self { return true } else { return false } }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
