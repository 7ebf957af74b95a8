import HTTPSupport
import Database
import Foundation
import Redis
import Logging
import Metrics
import Synchronization
import ServiceLifecycle

extension InstallTracker {
    /// Sightings waiting to be written to Postgres.
    public var pendingCount: Int { state.withLock { $0.pending.count + $0.held.count + $0.writing } }

    func enqueue(_ key: SiteDayKey, _ sighting: Sighting) {
        let count = state.withLock { state in
            state.pending[key, default: sighting].merge(sighting)
            return state.pending.count + state.held.count
        }
        TrackerMetrics.pending.record(count)
    }

    func hold(_ key: HostDayKey, _ sighting: Sighting) {
        let count = state.withLock { state in
            state.held[key, default: sighting].merge(sighting)
            return state.pending.count + state.held.count
        }
        TrackerMetrics.pending.record(count)
    }

    /// Writes every pending sighting to Postgres now (the background writer does this every
    /// `flushInterval`). Hosts held while Postgres was down get their site id and Redis bits first.
    /// On failure the unwritten sightings stay pending and the error is thrown.
    public func flush() async throws {
        try await assignHeldHosts()
        let rounds = max(1, (state.withLock { $0.pending.count } + configuration.maxBatch - 1) / configuration.maxBatch)
        for _ in 0..<rounds {
            let batch: [(SiteDayKey, Sighting)] = state.withLock { state in
                let taken = Array(state.pending.prefix(configuration.maxBatch)).map { ($0.key, $0.value) }
                for (key, _) in taken { state.pending[key] = nil }
                state.writing += taken.count
                return taken
            }
            if batch.isEmpty { break }
            do {
                try await withPostgresDeadline(configuration.postgresTimeout * 5, doing: "writing install sightings") {
                    try await self.store.upsert(batch)
                }
                state.withLock { $0.writing -= batch.count }
                TrackerMetrics.upserts.increment(by: batch.count)
            } catch {
                state.withLock { state in
                    state.writing -= batch.count
                    for (key, sighting) in batch { state.pending[key, default: sighting].merge(sighting) }
                }
                TrackerMetrics.upsertFailures.increment()
                throw error
            }
        }
        TrackerMetrics.pending.record(pendingCount)
    }

    private func assignHeldHosts() async throws {
        // Taken hosts count as `writing` until they are pending under their site id, so that
        // `pendingCount` never reads 0 while sightings are only in this function's hands.
        let held: [(HostDayKey, Sighting)] = state.withLock { state in
            defer { state.held.removeAll() }
            state.writing += state.held.count
            return state.held.map { ($0.key, $0.value) }
        }
        for (index, (key, sighting)) in held.enumerated() {
            let siteID: Int
            do {
                siteID = try await withPostgresDeadline(configuration.postgresTimeout, doing: "assigning a site id") {
                    try await self.directory.id(campaign: key.campaign, host: key.host, maxSites: key.maxSites)
                }
            } catch let error as TrackerError where error.code == "site_limit_reached" {
                // Held while Postgres was down, before the cap could be checked: not recorded.
                logger.warning("a held install ping's host is beyond the campaign's site cap and is not recorded", metadata: [
                    "campaign": "\(key.campaign)", "host": "\(key.host)", "max_sites": "\(key.maxSites)"])
                state.withLock { $0.writing -= 1 }
                continue
            } catch {
                state.withLock { state in
                    for (key, sighting) in held[index...] { state.held[key, default: sighting].merge(sighting) }
                    state.writing -= held.count - index
                }
                throw error
            }
            let siteKey = SiteDayKey(campaign: key.campaign, site: siteID, day: key.day)
            var inRedis = false
            if redisReachable() {
                do {
                    _ = try await recordInRedis(siteKey, host: key.host, sighting)
                    inRedis = true
                } catch {
                    redisFailed(error)
                }
            }
            if !inRedis { state.withLock { $0.requestRewarm(.since(key.day)) } }
            enqueue(siteKey, sighting)
            state.withLock { $0.writing -= 1 }
        }
    }

    /// The background writer and Redis watchdog: flushes pending sightings every `flushInterval`,
    /// probes Redis every `redisRetryInterval` and rewarms it from Postgres when needed. At graceful
    /// shutdown it flushes once more.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
        do {
            try await flush()
        } catch {
            logger.error("install sightings could not be written at shutdown and are lost",
                         metadata: ["pending": "\(pendingCount)", "error": "\(error)"])
        }
    }

    private func loop() async {
        var lastCheck = ContinuousClock.now
        await maintainRedis()
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.flushInterval) } catch { return }
            await flushInBackground()
            if ContinuousClock.now - lastCheck >= configuration.redisRetryInterval {
                lastCheck = .now
                await maintainRedis()
            }
        }
    }

    private func flushInBackground() async {
        guard pendingCount > 0 else { return }
        do {
            try await flush()
            state.withLock { $0.postgresRetryAt = nil }
            let recovered = state.withLock { state in
                defer { state.postgresFailing = false }
                return state.postgresFailing
            }
            if recovered { logger.info("install sightings are written to PostgreSQL again") }
        } catch {
            let first = state.withLock { state in
                defer { state.postgresFailing = true }
                return !state.postgresFailing
            }
            if first {
                logger.warning("install sightings cannot be written to PostgreSQL; holding them in memory",
                               metadata: ["pending": "\(pendingCount)", "error": "\(error)"])
            }
        }
    }
}
