import Core
import Foundation
import Synchronization

/// The limits this process enforces alone while Redis is unreachable: each campaign's limits divided
/// by the number of Collector instances, over a fixed window for sessions and a one-second window
/// for events. Less exact than Redis, but it keeps a tenant from taking everything during an outage.
final class LocalLimiter: Sendable {
    struct Usage {
        var windowStart: ContinuousClock.Instant
        var sessions: Int
        var second: Int64
        var events: Int
    }

    let window: Duration
    let instances: Int
    private let usage = Mutex([UUID: Usage]())

    init(window: Duration, instances: Int) {
        self.window = window
        self.instances = max(1, instances)
    }

    func check(campaign: Campaign, session: String, alreadyAdmitted: Bool, events: Int) -> RateLimiter.Decision {
        let now = ContinuousClock.now
        let second = RateLimiter.currentSecond()
        return usage.withLock { usage in
            var entry = usage[campaign.id] ?? Usage(windowStart: now, sessions: 0, second: second, events: 0)
            if now - entry.windowStart >= window { entry.windowStart = now; entry.sessions = 0 }
            if entry.second != second { entry.second = second; entry.events = 0 }
            defer { usage[campaign.id] = entry }
            if !alreadyAdmitted {
                guard entry.sessions < max(1, campaign.sessionsPerHour / instances) else {
                    let remaining = window - (now - entry.windowStart)
                    return .sessionRefused(retryAfterSeconds: max(1, Int(remaining.components.seconds)))
                }
                entry.sessions += 1
            }
            let limit = max(1, campaign.eventsPerSecond / instances)
            guard entry.events + min(events, limit) <= limit else { return .rateLimited(retryAfterSeconds: 1) }
            entry.events += min(events, limit)
            return .allowed
        }
    }
}
