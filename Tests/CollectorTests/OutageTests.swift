import Kafka
import Redis
import Database
import Core
import Collector
import Foundation
import HTTPTypes
import HummingbirdTesting
import TestSupport
import Testing

/// The Collector with a dependency gone: documented degradation, never a 202 for a lost batch,
/// recovery without a restart.
@Suite("Collector through Redis and Kafka outages", .serialized)
struct OutageTests {
    @Test("Redis stopped: the local policy keeps limits per process; back to Redis when it returns")
    func redisOutage() async throws {
        try await CollectorHarness.run(configure: { $0.redisDownPolicy = .local }) { harness in
            let campaign = try await harness.campaign(sessionsPerHour: 2, eventsPerSecond: 100_000)
            try await harness.application().test(.router) { client in
                let before = try await client.execute(uri: "/v1/batch", method: .post, headers: jsonHeaders,
                                                      body: Fixtures.batch(key: campaign.publicKey, session: "r0", seq: 0))
                #expect(before.status == .accepted)
                try StackFaults.stopRedis()
                do {
                    // Known session keeps going; the local limiter admits up to the campaign's limit
                    // (2 per window with one instance) and refuses beyond it.
                    let known = try await client.execute(uri: "/v1/batch", method: .post, headers: jsonHeaders,
                                                         body: Fixtures.batch(key: campaign.publicKey, session: "r0", seq: 1))
                    #expect(known.status == .accepted)
                    var statuses: [HTTPResponse.Status] = []
                    for n in 1...3 {
                        let response = try await client.execute(uri: "/v1/batch", method: .post, headers: jsonHeaders,
                                                                body: Fixtures.batch(key: campaign.publicKey, session: "r\(n)", seq: 0))
                        statuses.append(response.status)
                        if response.status == .tooManyRequests { #expect(response.errorCode == "session_refused") }
                    }
                    #expect(statuses.filter { $0 == .accepted }.count == 2)
                    #expect(statuses.last == .tooManyRequests)
                } catch {
                    try shell("scripts/stack up")
                    throw error
                }
                let restart = try shell("scripts/stack up")
                #expect(restart.status == 0, "\(restart.output)")
                // Recovery: after the retry interval the limiter uses Redis again (its keys reappear).
                // Until it does, the local policy refuses new sessions (its 2 are taken), so the first
                // new session accepted is Redis's.
                try await Task.sleep(for: .milliseconds(1_200))
                var after = HTTPResponse.Status.serviceUnavailable
                let recoveryDeadline = ContinuousClock.now + .seconds(15)
                var attempt = 9
                repeat {
                    if attempt > 9 { try await Task.sleep(for: .milliseconds(500)) }
                    after = try await client.execute(uri: "/v1/batch", method: .post, headers: jsonHeaders,
                                                     body: Fixtures.batch(key: campaign.publicKey, session: "r\(attempt)", seq: 0)).status
                    attempt += 1
                } while after != .accepted && ContinuousClock.now < recoveryDeadline
                #expect(after == .accepted, "no new session was admitted within 15 s of Redis's return")
                let members = try await harness.redis.send("ZCARD", "rl:{\(campaign.id.uuidString.lowercased())}:sessions")
                #expect(members.int == 1)
            }
        }
    }

    @Test("Broker stopped: 503 with Retry-After and no 202; after it resumes, 202 again")
    func brokerOutage() async throws {
        try await CollectorHarness.run(messageTimeout: .seconds(3)) { harness in
            let campaign = try await harness.campaign()
            try await harness.application().test(.router) { client in
                let warm = try await client.execute(uri: "/v1/batch", method: .post, headers: jsonHeaders,
                                                    body: Fixtures.batch(key: campaign.publicKey, session: "k", seq: 0))
                #expect(warm.status == .accepted)
                let pid = try #require(TestStack.brokerPID(), "no broker process found")
                try StackFaults.freeze([pid])
                let down: TestResponse
                let started = ContinuousClock.now
                do {
                    down = try await client.execute(uri: "/v1/batch", method: .post, headers: jsonHeaders,
                                                    body: Fixtures.batch(key: campaign.publicKey, session: "k", seq: 1))
                } catch {
                    StackFaults.thaw([pid])
                    throw error
                }
                StackFaults.thaw([pid])
                #expect(down.status == .serviceUnavailable)
                #expect(down.errorCode == "unavailable")
                #expect(down.headers[.retryAfter] != nil)
                #expect(ContinuousClock.now - started < .seconds(8))
                // The client retries, as the snippet does, until the broker takes it again.
                var recovered = false
                for _ in 0..<20 where !recovered {
                    let retry = try await client.execute(uri: "/v1/batch", method: .post, headers: jsonHeaders,
                                                         body: Fixtures.batch(key: campaign.publicKey, session: "k", seq: 1))
                    recovered = retry.status == .accepted
                    if !recovered { try await Task.sleep(for: .milliseconds(500)) }
                }
                #expect(recovered)
            }
            // The batch that got 503 may or may not have landed (it is retried under the same
            // session and seq, and de-duplicated downstream); every 202 did land.
            let records = try await harness.records(expected: 2)
            let seqs = Set(records.compactMap { $0.header("seq").map { String(decoding: $0, as: UTF8.self) } })
            #expect(seqs == ["0", "1"])
        }
    }
}
