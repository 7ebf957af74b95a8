import Core
import Foundation
import Redis
import TestSupport
import Testing
@testable import Tracker

/// Repeated pings of a site within one `lastSeenResolution` interval cost no Redis round trip;
/// a new interval, a new snippet version or a new day do.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RecentSightingTests {
    @Test func repeatsWithinTheIntervalSkipRedis() async throws {
        try await TrackerHarness.run { harness in
            let campaign = try await harness.campaign()
            let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + 3_600)
            let clock = TestClock(start)
            let tracker = harness.tracker(clock: clock) { $0.lastSeenResolution = .seconds(60) }
            let host = "busy.example.com"
            func lastSeen() async throws -> Int64? {
                let site = try #require(tracker.directory.cached(campaign: campaign.id, host: host))
                return try await harness.redis.send("HGET", InstallKeys.seen(campaign.id), String(site)).string.flatMap { Int64($0) }
            }
            func version() async throws -> String? {
                let site = try #require(tracker.directory.cached(campaign: campaign.id, host: host))
                return try await harness.redis.send("HGET", InstallKeys.version(campaign.id), String(site)).string
            }
            let millis = Int64(start.timeIntervalSince1970 * 1000)

            try await tracker.recordPing(campaign: campaign, host: host, version: "1.0", at: start)
            #expect(try await lastSeen() == millis)
            // Same interval, same version: not sent to Redis.
            try await tracker.recordPing(campaign: campaign, host: host, version: "1.0", at: start.addingTimeInterval(20))
            try await tracker.recordPing(campaign: campaign, host: host, version: nil, at: start.addingTimeInterval(30))
            #expect(try await lastSeen() == millis)
            // A new version within the interval is recorded at once.
            try await tracker.recordPing(campaign: campaign, host: host, version: "2.0", at: start.addingTimeInterval(40))
            #expect(try await version() == "2.0")
            #expect(try await lastSeen() == millis + 40_000)
            // The next interval is recorded.
            try await tracker.recordPing(campaign: campaign, host: host, version: "2.0", at: start.addingTimeInterval(61))
            #expect(try await lastSeen() == millis + 61_000)
            // The next day sets that day's bit.
            let tomorrow = start.addingTimeInterval(86_400)
            try await tracker.recordPing(campaign: campaign, host: host, version: "2.0", at: tomorrow)
            #expect(try await harness.bitcount(campaign.id, UTCDay(tomorrow)) == 1)
            try await tracker.flush()
        }
    }
}
