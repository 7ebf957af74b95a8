import Core
import Database
import Foundation
import HTTPSupport
import HTTPTypes
import Testing
@testable import Tracker

/// A campaign's install ping limit and site cap, over real Redis and Postgres.
@Suite(.timeLimit(.minutes(2)))
struct InstallLimitsTests {
    static func refusal(_ body: () async throws -> Void) async -> APIError? {
        do { try await body(); return nil } catch let error as APIError { return error } catch { return nil }
    }

    @Test("pings beyond the campaign's per-minute limit get 429 until the minute ends")
    func pingLimit() async throws {
        try await TrackerHarness.run { harness in
            var campaign = try await harness.campaign()
            campaign = try #require(try await harness.store.update(id: campaign.id, installPingsPerMinute: 3))
            let other = try await harness.campaign()
            // 20 s into a minute: the window ends in 40 s.
            let minute = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60
            let clock = TestClock(Date(timeIntervalSince1970: minute + 20))
            let tracker = harness.tracker(clock: clock)
            try await harness.running(tracker) {
                for _ in 0..<3 { try await tracker.recordPing(campaign: campaign, host: "shop.example.com", version: "1.1.0") }
                let refused = await Self.refusal { try await tracker.recordPing(campaign: campaign, host: "shop.example.com", version: "1.1.0") }
                #expect(refused?.status == .tooManyRequests && refused?.code == "install_rate_limited", "\(String(describing: refused))")
                #expect(refused?.retryAfter == 40)
                // Another campaign has its own window.
                try await tracker.recordPing(campaign: other, host: "shop.example.com", version: "1.1.0")
                clock.set(Date(timeIntervalSince1970: minute + 60))
                try await tracker.recordPing(campaign: campaign, host: "shop.example.com", version: "1.1.0")
            }
        }
    }

    @Test("a campaign records at most max_sites hosts; pings of further hosts get 403, known hosts still count")
    func siteCap() async throws {
        try await TrackerHarness.run { harness in
            var campaign = try await harness.campaign()
            campaign = try #require(try await harness.store.update(id: campaign.id, maxSites: 2))
            let tracker = harness.tracker(clock: TestClock(Date()))
            try await harness.running(tracker) {
                try await tracker.recordPing(campaign: campaign, host: "a.example.org", version: nil)
                try await tracker.recordPing(campaign: campaign, host: "b.example.org", version: nil)
                let refused = await Self.refusal { try await tracker.recordPing(campaign: campaign, host: "c.example.org", version: nil) }
                #expect(refused?.status == .forbidden && refused?.code == "site_limit_reached", "\(String(describing: refused))")
                #expect(refused?.message.contains("--max-sites") == true)
                try await tracker.recordPing(campaign: campaign, host: "a.example.org", version: nil)
                // A second process (no cache) refuses too: the cap is held in Postgres.
                let fresh = harness.tracker(clock: TestClock(Date()))
                let again = await Self.refusal { try await fresh.recordPing(campaign: campaign, host: "d.example.org", version: nil) }
                #expect(again?.code == "site_limit_reached")
            }
            let sites = try await harness.postgresSiteCount(campaign.id)
            #expect(sites.count == 2 && sites.max == 1)
        }
    }
}
