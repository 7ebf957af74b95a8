import Foundation
import Logging
import Metrics
import Synchronization
import Redis

extension InstallTracker {
    /// Probes Redis when it is considered down, requests a full rewarm when it lost its data, and
    /// runs a pending rewarm. Called by ``run()`` every `redisRetryInterval`.
    func maintainRedis() async {
        if state.withLock({ $0.redisRetryAt != nil }) {
            do {
                try await redis.ping()
                redisAnswered()
            } catch {
                redisFailed(error)
                return
            }
        }
        do {
            if try await redis.send("EXISTS", InstallKeys.warm).int != 1 {
                state.withLock { $0.requestRewarm(.full) }
            }
        } catch {
            redisFailed(error)
            return
        }
        let need: TrackerState.Rewarm? = state.withLock { state in
            guard let need = state.rewarmNeeded, !state.rewarming else { return nil }
            state.rewarmNeeded = nil
            state.rewarming = true
            return need
        }
        guard let need else { return }
        do {
            try await rewarm(need)
        } catch {
            state.withLock { $0.requestRewarm(need) }
            if let error = error as? RedisError, error.isConnectionError { redisFailed(error) }
            if error is CancellationError || Task.isCancelled {
                logger.debug("rewarming Redis from PostgreSQL stopped by shutdown; the next start rewarms")
            } else {
                logger.warning("rewarming Redis from PostgreSQL failed; will retry", metadata: ["error": "\(error)"])
            }
        }
        state.withLock { $0.rewarming = false }
    }

    /// Rebuilds Redis from Postgres (see ``InstallKeys``). Idempotent; safe while pings arrive.
    func rewarm(_ need: TrackerState.Rewarm) async throws {
        let started = ContinuousClock.now
        // Pings that were on their way to Postgres when Redis came back must be visible to the query.
        while state.withLock({ $0.fallbacksInFlight }) > 0 { try await Task.sleep(for: .milliseconds(10)) }
        _ = try await redis.send("SCRIPT", "LOAD", sightingScript.source)
        let oldest = today.adding(days: -(configuration.retentionDays - 1))
        var rows = 0
        switch need {
        case .full:
            try await store.forEachLatestSighting { chunk in
                try await self.replay(chunk)
                rows += chunk.count
            }
            try await store.forEachSiteDay(from: oldest) { chunk in
                try await self.replay(chunk)
                rows += chunk.count
            }
            _ = try await redis.send("SET", InstallKeys.warm, String(Millis.of(clock())))
        case .since(let day):
            try await store.forEachSiteDay(from: max(UTCDay(number: day), oldest)) { chunk in
                try await self.replay(chunk)
                rows += chunk.count
            }
        }
        let kind = need == .full ? "full" : "partial"
        TrackerMetrics.rewarm(kind: kind)
        logger.info("rewarmed Redis from PostgreSQL",
                    metadata: ["kind": "\(kind)", "rows": "\(rows)", "elapsed": "\(ContinuousClock.now - started)"])
    }

    private func replay(_ rows: [InstallStore.WarmRow]) async throws {
        let commands = rows.map { row -> RedisCommand in
            var keys = [InstallKeys.ever(row.campaign), InstallKeys.seen(row.campaign), InstallKeys.version(row.campaign),
                        InstallKeys.hosts(row.campaign)]
            var expireAt = "0"
            if let day = row.day {
                keys.append(InstallKeys.day(row.campaign, UTCDay(number: day)))
                expireAt = String((day + configuration.retentionDays + 1) * 86_400)
            }
            return RedisCommand(arguments: ["EVALSHA", sightingScript.sha1, String(keys.count)] + keys
                + [String(row.site), String(row.lastSeen), row.version ?? "", row.host, expireAt])
        }
        try Self.checkReplies(try await redis.pipeline(commands))
    }
}
