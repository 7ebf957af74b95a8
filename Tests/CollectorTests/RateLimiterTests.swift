import Kafka
import Database
import Collector
import Core
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Redis
import TestSupport
import Testing

@Suite("Redis sliding-window limits", .serialized)
struct RateLimiterTests {
    @Test("2 instances × 200 concurrent new sessions against a limit of 1,000 admit exactly 1,000")
    func raceAcrossInstances() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign(sessionsPerHour: 1_000, eventsPerSecond: 10_000_000)
            let second = RedisClient(configuration: RedisConfiguration(host: TestStack.redisHost, port: TestStack.redisPort),
                                     logger: harness.logger)
            defer { second.shutdown() }
            let limiters = [RateLimiter(redis: harness.redis, configuration: harness.configuration, logger: harness.logger),
                            RateLimiter(redis: second, configuration: harness.configuration, logger: harness.logger)]
            let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
                for (index, limiter) in limiters.enumerated() {
                    // 800 distinct sessions per instance, 200 in flight at a time.
                    for wave in 0..<4 {
                        group.addTask {
                            try await withThrowingTaskGroup(of: Bool.self) { inner in
                                for n in 0..<200 {
                                    inner.addTask {
                                        await limiter.check(campaign: campaign, session: "i\(index)-w\(wave)-s\(n)", events: 1) == .allowed
                                    }
                                }
                                var count = 0
                                for try await ok in inner where ok { count += 1 }
                                return count
                            }
                        }
                    }
                }
                var total = 0
                for try await count in group { total += count }
                return total
            }
            #expect(admitted == 1_000)
            // Admitted sessions stay admitted; their later batches need no admission round trip.
            let zset = try await harness.redis.send("ZCARD", "rl:{\(campaign.id.uuidString.lowercased())}:sessions")
            #expect(zset.int == 1_000)
        }
    }

    @Test("the window slides: admissions free up as time passes")
    func windowSlides() async throws {
        try await CollectorHarness.run(configure: { $0.sessionWindow = .seconds(2) }) { harness in
            let campaign = try await harness.campaign(sessionsPerHour: 3)
            let limiter = RateLimiter(redis: harness.redis, configuration: harness.configuration, logger: harness.logger)
            for n in 0..<3 { #expect(await limiter.check(campaign: campaign, session: "s\(n)", events: 1) == .allowed) }
            let refused = await limiter.check(campaign: campaign, session: "s3", events: 1)
            guard case .sessionRefused(let retryAfter) = refused else {
                Issue.record("expected a refusal, got \(refused)")
                return
            }
            #expect((1...2).contains(retryAfter))
            // An admitted session is never cut off mid-way.
            #expect(await limiter.check(campaign: campaign, session: "s0", events: 1) == .allowed)
            try await Task.sleep(for: .milliseconds(2_200))
            #expect(await limiter.check(campaign: campaign, session: "s3", events: 1) == .allowed)
            #expect(await limiter.check(campaign: campaign, session: "s0", events: 1) == .allowed)
        }
    }

    @Test("HTTP: 429 rate_limited with Retry-After, and 429 session_refused")
    func httpRefusals() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign(sessionsPerHour: 1, eventsPerSecond: 30)
            try await harness.application().test(.router) { client in
                let first = try await client.execute(uri: "/v1/batch", method: .post, headers: jsonHeaders,
                                                     body: Fixtures.batch(key: campaign.publicKey, session: "a", seq: 0))
                #expect(first.status == .accepted)
                let limited = try await client.execute(uri: "/v1/batch", method: .post, headers: jsonHeaders,
                                                       body: Fixtures.batch(key: campaign.publicKey, session: "a", seq: 1))
                #expect(limited.status == .tooManyRequests)
                #expect(limited.errorCode == "rate_limited")
                #expect(limited.headers[.retryAfter] == "1")
                let refused = try await client.execute(uri: "/v1/batch", method: .post, headers: jsonHeaders,
                                                       body: Fixtures.batch(key: campaign.publicKey, session: "b", seq: 0))
                #expect(refused.status == .tooManyRequests)
                #expect(refused.errorCode == "session_refused")
                #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 > 0)
            }
            #expect(try await harness.records(expected: 1).count == 1)
        }
    }
}
