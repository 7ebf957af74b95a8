import Database
import HTTPSupport
import Foundation
import Logging
import Metrics
import Synchronization
import Redis

extension InstallTracker {
    /// The status of a campaign's installs: every site with installed / active today / last seen /
    /// snippet version, sites active per day from `from` to `to` (UTC days), and sites silent for at
    /// least `silentDays` days. Read from Redis when it is reachable and warm, else from Postgres;
    /// throws ``TrackerError`` (400 for a bad range, 503 when neither store answers).
    public func status(campaignID: UUID, from: UTCDay, to: UTCDay, silentDays: Int) async throws -> InstallStatus {
        guard from <= to else { throw TrackerError.invalidField("from", "must not be after to") }
        guard to.number - from.number < configuration.maxStatusDays else {
            throw TrackerError.invalidField("from", "to to spans more than \(configuration.maxStatusDays) days; ask for a shorter range")
        }
        guard silentDays >= 0 else { throw TrackerError.invalidField("silent_days", "must not be negative") }
        if redisReadable() {
            do {
                if let status = try await statusFromRedis(campaignID: campaignID, from: from, to: to, silentDays: silentDays) {
                    TrackerMetrics.status(source: "redis")
                    return status
                }
            } catch let error as RedisError where error.isConnectionError {
                redisFailed(error)
            } catch where error.isPostgresUnavailable {
                throw TrackerError.storesDown
            }
        }
        do {
            // Postgres answers: write what is still queued in memory first, so the record is complete.
            try? await flush()
            let status = try await statusFromPostgres(campaignID: campaignID, from: from, to: to, silentDays: silentDays)
            TrackerMetrics.status(source: "postgres")
            return status
        } catch where error.isPostgresUnavailable {
            throw TrackerError.storesDown
        }
    }

    /// ``status(campaignID:from:to:silentDays:)`` with dates (their UTC days).
    public func status(campaignID: UUID, from: Date, to: Date, silentDays: Int) async throws -> InstallStatus {
        try await status(campaignID: campaignID, from: UTCDay(from), to: UTCDay(to), silentDays: silentDays)
    }

    /// The UTC day of the tracker's clock.
    public var today: UTCDay { UTCDay(clock()) }

    /// Nil when Redis lost its data (a full rewarm is then requested).
    func statusFromRedis(campaignID: UUID, from: UTCDay, to: UTCDay, silentDays: Int) async throws -> InstallStatus? {
        let today = self.today
        let oldestInRedis = today.adding(days: -(configuration.retentionDays - 1))
        let redisFrom = max(from, oldestInRedis)
        var commands = [
            RedisCommand("GET", InstallKeys.warm),
            RedisCommand("GET", InstallKeys.ever(campaignID)),
            RedisCommand("GET", InstallKeys.day(campaignID, today)),
            RedisCommand("HGETALL", InstallKeys.seen(campaignID)),
            RedisCommand("HGETALL", InstallKeys.version(campaignID)),
            RedisCommand("HGETALL", InstallKeys.hosts(campaignID)),
        ]
        if redisFrom <= to {
            for day in redisFrom.number...to.number {
                commands.append(RedisCommand("BITCOUNT", InstallKeys.day(campaignID, UTCDay(number: day))))
            }
        }
        let replies = try await redis.pipeline(commands)
        try Self.checkReplies(replies)
        if replies[0].isNull {
            state.withLock { $0.requestRewarm(.full) }
            return nil
        }
        let ever = replies[1].bytes ?? []
        let active = replies[2].bytes ?? []
        let seen = Self.hash(replies[3])
        let versions = Self.hash(replies[4])
        let hosts = Self.hash(replies[5])
        var sites: [InstallStatus.Site] = []
        for site in Self.setBits(ever) {
            let lastSeen = seen[site].flatMap { Int64($0) }.map(Millis.date)
            sites.append(InstallStatus.Site(
                siteID: site, host: hosts[site] ?? "", installed: true, activeToday: Self.bit(site, in: active),
                lastSeen: lastSeen, snippetVersion: versions[site],
                daysSinceLastSeen: lastSeen.map { today.number - UTCDay($0).number }))
        }
        var counts: [Int: Int] = [:]
        if redisFrom <= to {
            for (offset, day) in (redisFrom.number...to.number).enumerated() {
                counts[day] = Int(replies[6 + offset].int ?? 0)
            }
        }
        if from < redisFrom {
            let older = try await withPostgresDeadline(configuration.postgresTimeout, doing: "counting daily installs") {
                try await self.store.dailyCounts(campaign: campaignID, from: from, to: min(to, redisFrom.adding(days: -1)))
            }
            counts.merge(older) { a, _ in a }
        }
        return InstallStatus(
            campaignID: campaignID, source: .redis, today: today, from: from, to: to, silentDays: silentDays, sites: sites,
            daily: (from.number...to.number).map { .init(day: UTCDay(number: $0), activeSites: counts[$0] ?? 0) })
    }

    func statusFromPostgres(campaignID: UUID, from: UTCDay, to: UTCDay, silentDays: Int) async throws -> InstallStatus {
        let today = self.today
        let (rows, counts) = try await withPostgresDeadline(configuration.postgresTimeout * 5, doing: "reading install status") {
            async let rows = self.store.sites(campaign: campaignID)
            async let counts = self.store.dailyCounts(campaign: campaignID, from: from, to: to)
            return try await (rows, counts)
        }
        let sites = rows.map { row in
            InstallStatus.Site(
                siteID: row.site, host: row.host, installed: true, activeToday: row.lastDay == today.number,
                lastSeen: Millis.date(row.lastSeen), snippetVersion: row.version,
                daysSinceLastSeen: today.number - row.lastDay)
        }
        return InstallStatus(
            campaignID: campaignID, source: .postgres, today: today, from: from, to: to, silentDays: silentDays,
            sites: sites,
            daily: (from.number...to.number).map { .init(day: UTCDay(number: $0), activeSites: counts[$0] ?? 0) })
    }

    /// Site id → value of a `HGETALL` reply.
    static func hash(_ reply: RedisReply) -> [Int: String] {
        guard let elements = reply.array else { return [:] }
        var result: [Int: String] = [:]
        result.reserveCapacity(elements.count / 2)
        var index = 0
        while index + 1 < elements.count {
            if let key = elements[index].string.flatMap({ Int($0) }), let value = elements[index + 1].string {
                result[key] = value
            }
            index += 2
        }
        return result
    }

    /// Offsets of the set bits of a Redis bitmap (bit 0 is the most significant bit of byte 0).
    static func setBits(_ bytes: [UInt8]) -> [Int] {
        var result: [Int] = []
        for (index, byte) in bytes.enumerated() where byte != 0 {
            for bit in 0..<8 where byte & (0x80 >> bit) != 0 { result.append(index * 8 + bit) }
        }
        return result
    }

    static func bit(_ offset: Int, in bytes: [UInt8]) -> Bool {
        let index = offset / 8
        guard index < bytes.count else { return false }
        return bytes[index] & (0x80 >> (offset % 8)) != 0
    }
}
