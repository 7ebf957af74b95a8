import Core
import Foundation
import Logging
import PostgresNIO
import Redis
import Synchronization
import TestSupport
import Testing
@testable import Tracker

/// Real Redis, real Postgres. Serialized: some tests stop the shared services.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct TrackerIntegrationTests {
    /// 5,000 sites over four simulated days: bitmaps, counts, Postgres and both status paths agree.
    @Test func fiveThousandSitesOverFourDays() async throws {
        try await TrackerHarness.run { harness in
            let campaign = try await harness.campaign()
            let clock = TestClock(noon(daysAgo: 3))
            let tracker = harness.tracker(clock: clock)
            let sites = 5_000
            // Day 0: everyone; day 1: even sites; day 2: every third site, twice; day 3 (today): every
            // fifth site, every tenth with a new snippet version.
            let plan: [[Int]] = [
                Array(0..<sites), (0..<sites).filter { $0 % 2 == 0 }, (0..<sites).filter { $0 % 3 == 0 },
                (0..<sites).filter { $0 % 5 == 0 },
            ]
            var lastPing: [Int: Date] = [:]
            var version: [Int: String] = [:]
            for (offset, daySites) in plan.enumerated() {
                let dayStart = noon(daysAgo: 3 - offset)
                clock.set(dayStart.addingTimeInterval(6 * 3600))
                let repeats = offset == 2 ? 2 : 1
                let started = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var next = 0
                    let jobs = daySites.flatMap { site in (0..<repeats).map { (site, $0) } }
                    func add() {
                        guard next < jobs.count else { return }
                        let (site, round) = jobs[next]
                        next += 1
                        let at = dayStart.addingTimeInterval(Double(site % 3600) + Double(round) * 3600)
                        let v = offset == 3 && site % 10 == 0 ? "2.0" : "1.0"
                        group.addTask {
                            try await tracker.recordPing(campaign: campaign, host: "site-\(site).example.com", version: v, at: at)
                        }
                    }
                    for _ in 0..<64 { add() }
                    while try await group.next() != nil { add() }
                }
                let elapsed = ContinuousClock.now - started
                let pings = daySites.count * repeats
                print("tracker day \(offset): \(pings) pings in \(elapsed) (\(Int(Double(pings) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))) pings/s, pending \(tracker.pendingCount))")
                for site in daySites {
                    lastPing[site] = dayStart.addingTimeInterval(Double(site % 3600) + Double(repeats - 1) * 3600)
                    version[site] = offset == 3 && site % 10 == 0 ? "2.0" : "1.0"
                }
            }
            let flushStarted = ContinuousClock.now
            try await tracker.flush()
            print("tracker flush: \(ContinuousClock.now - flushStarted)")
            #expect(tracker.pendingCount == 0)

            let today = UTCDay(noon(daysAgo: 0))
            let days = (0..<4).map { today.adding(days: $0 - 3) }
            let pgCounts = try await harness.postgresDailyCounts(campaign.id)
            for (offset, day) in days.enumerated() {
                #expect(try await harness.bitcount(campaign.id, day) == plan[offset].count, "Redis bitmap of \(day)")
                #expect(pgCounts[day.number] == plan[offset].count, "Postgres rows of \(day)")
            }
            let ids = try await harness.postgresSiteCount(campaign.id)
            #expect(ids.count == sites && ids.min == 0 && ids.max == sites - 1, "site ids are dense: \(ids)")

            // The service marks Redis warm (a full rewarm when `inst:warm` is missing).
            let task = Task { try await tracker.run() }
            defer { task.cancel() }
            let warm = try await harness.eventually {
                let marker = try await harness.redis.send("EXISTS", InstallKeys.warm).int
                return tracker.redisReadable() && marker == 1
            }
            #expect(warm)
            let fromRedis = try #require(try await tracker.statusFromRedis(
                campaignID: campaign.id, from: days[0].adding(days: -1), to: today, silentDays: 2))
            let fromPostgres = try await tracker.statusFromPostgres(
                campaignID: campaign.id, from: days[0].adding(days: -1), to: today, silentDays: 2)
            #expect(fromRedis.source == .redis)
            #expect(fromRedis.installedSites == sites)
            #expect(fromRedis.activeToday == plan[3].count)
            #expect(fromRedis.daily.map(\.activeSites) == [0] + plan.map(\.count))
            // Silent for ≥ 2 days: last seen on day 0 or 1 (odd sites not divisible by 3 or 5, and
            // even sites not divisible by 3 or 5 whose last day is day 1).
            let expectedSilent = (0..<sites).filter { $0 % 3 != 0 && $0 % 5 != 0 }
            #expect(fromRedis.silent.map(\.siteID).count == expectedSilent.count)
            var mismatches = 0
            for site in fromRedis.sites {
                let number = Int(site.host.dropFirst(5).prefix { $0.isNumber })!
                if site.lastSeen != lastPing[number] || site.snippetVersion != version[number] { mismatches += 1 }
            }
            #expect(mismatches == 0, "last seen / version per site")
            #expect(fromRedis.sameContent(as: fromPostgres), "Redis and Postgres answer the same status")
            let status = try await tracker.status(campaignID: campaign.id, from: days[0], to: today, silentDays: 2)
            #expect(status.source == .redis)
        }
    }

    /// Redis stopped: pings land in Postgres and status answers from it; Redis restarted empty:
    /// after the rewarm, status from Redis is the same as before.
    @Test func redisOutageFallsBackToPostgresAndRewarms() async throws {
        try await TrackerHarness.run { harness in
            let campaign = try await harness.campaign()
            let clock = TestClock(noon(daysAgo: 2))
            let tracker = harness.tracker(clock: clock)
            try await harness.running(tracker) {
                for daysAgo in [2, 1, 0] {
                    clock.set(noon(daysAgo: daysAgo))
                    for site in 0..<(100 * (3 - daysAgo)) {
                        try await tracker.recordPing(campaign: campaign, host: "r\(site).example.org", version: "1.0",
                                                     at: noon(daysAgo: daysAgo).addingTimeInterval(Double(site)))
                    }
                }
                try await tracker.flush()
                let today = UTCDay(clock.now)
                let range = (from: today.adding(days: -3), to: today)
                let warm = try await harness.eventually {
                    try await tracker.status(campaignID: campaign.id, from: range.from, to: range.to, silentDays: 1).source == .redis
                }
                #expect(warm, "the tracker marked Redis warm")
                let before = try await tracker.status(campaignID: campaign.id, from: range.from, to: range.to, silentDays: 1)
                #expect(before.source == .redis)
                #expect(before.sameContent(as: try await tracker.statusFromPostgres(
                    campaignID: campaign.id, from: range.from, to: range.to, silentDays: 1)))
                #expect(before.daily.map(\.activeSites) == [0, 100, 200, 300])

                var during: InstallStatus?
                var outageError: (any Error)?
                try Services.stopRedis()
                do {
                    // Known sites with a new version, and new hosts.
                    for site in 250..<320 {
                        try await tracker.recordPing(campaign: campaign, host: "r\(site).example.org", version: "1.1",
                                                     at: noon(daysAgo: 0).addingTimeInterval(3_600 + Double(site)))
                    }
                    during = try await tracker.status(campaignID: campaign.id, from: range.from, to: range.to, silentDays: 1)
                } catch {
                    outageError = error
                }
                Services.restartAll()
                if let outageError { throw outageError }
                let duringStatus = try #require(during)
                #expect(duringStatus.source == .postgres)
                #expect(duringStatus.installedSites == 320)
                #expect(duringStatus.daily.map(\.activeSites) == [0, 100, 200, 320])
                #expect(duringStatus.sites.first { $0.host == "r260.example.org" }?.snippetVersion == "1.1")
                #expect(tracker.pendingCount == 0, "with Postgres up, fallback pings are written at once")

                // Redis came back empty: the tracker notices and rewarms; status returns to Redis.
                let rewarmed = try await harness.eventually(.seconds(30)) {
                    try await tracker.status(campaignID: campaign.id, from: range.from, to: range.to, silentDays: 1).source == .redis
                }
                #expect(rewarmed, "status reads Redis again after the rewarm")
                let after = try await tracker.status(campaignID: campaign.id, from: range.from, to: range.to, silentDays: 1)
                #expect(after.source == .redis)
                #expect(after.sameContent(as: duringStatus), "status after rewarm equals status before")
                #expect(try await harness.bitcount(campaign.id, today) == 320)
            }
        }
    }

    /// Postgres stopped: pings still land in Redis (known sites) or memory (new hosts), status
    /// answers from Redis, and everything is persisted when Postgres is back.
    @Test func postgresOutageKeepsPingsAndPersistsThemLater() async throws {
        try await TrackerHarness.run { harness in
            let campaign = try await harness.campaign()
            let clock = TestClock(noon(daysAgo: 1))
            let tracker = harness.tracker(clock: clock)
            try await harness.running(tracker) {
                for site in 0..<100 {
                    try await tracker.recordPing(campaign: campaign, host: "p\(site).example.org", version: "1.0",
                                                 at: noon(daysAgo: 1).addingTimeInterval(Double(site)))
                }
                try await tracker.flush()
                clock.set(noon(daysAgo: 0))
                let today = UTCDay(clock.now)

                var during: InstallStatus?
                var bitsDuring: Int?
                var outageError: (any Error)?
                try Services.stopPostgres()
                let stopped = ContinuousClock.now
                do {
                    for site in 0..<120 {
                        try await tracker.recordPing(campaign: campaign, host: "p\(site).example.org", version: "2.0",
                                                     at: noon(daysAgo: 0).addingTimeInterval(Double(site)))
                    }
                    print("tracker: 120 pings with Postgres down took \(ContinuousClock.now - stopped)")
                    during = try await tracker.status(campaignID: campaign.id, from: today.adding(days: -1), to: today, silentDays: 1)
                    print("tracker: + status \(ContinuousClock.now - stopped)")
                    #expect(tracker.pendingCount == 120, "100 site-days and 20 new hosts wait for Postgres")
                    // Read while Postgres is still down: once it is back, the writer gives the 20 new
                    // hosts their ids and bits within moments (seen before `scripts/stack up` returned).
                    bitsDuring = try await harness.bitcount(campaign.id, today)
                } catch {
                    outageError = error
                }
                let outage = ContinuousClock.now - stopped
                Services.restartAll()
                let restarted = ContinuousClock.now
                if let outageError { throw outageError }
                let duringStatus = try #require(during)
                #expect(duringStatus.source == .redis)
                #expect(duringStatus.activeToday == 100)
                #expect(bitsDuring == 100, "known sites get their bits in Redis while Postgres is down; new hosts wait")

                let drained = try await harness.eventually(.seconds(40)) { tracker.pendingCount == 0 }
                #expect(drained, "pending sightings are written once Postgres is back")
                print("tracker: Postgres down for \(outage); pending sightings written \(ContinuousClock.now - restarted) after restart")
                let counts = try await harness.postgresDailyCounts(campaign.id)
                #expect(counts[today.number] == 120)
                #expect(counts[today.number - 1] == 100)
                #expect(try await harness.postgresSiteCount(campaign.id).count == 120)
                #expect(try await harness.bitcount(campaign.id, today) == 120, "held hosts got their bits too")
                let fromRedis = try #require(try await tracker.statusFromRedis(
                    campaignID: campaign.id, from: today.adding(days: -1), to: today, silentDays: 1))
                let fromPostgres = try await tracker.statusFromPostgres(
                    campaignID: campaign.id, from: today.adding(days: -1), to: today, silentDays: 1)
                #expect(fromRedis.sameContent(as: fromPostgres))
                #expect(fromPostgres.sites.allSatisfy { $0.snippetVersion == "2.0" && $0.activeToday })
            }
        }
    }
}
