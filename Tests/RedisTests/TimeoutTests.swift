import Redis
import Testing
import TestSupport

extension RedisIntegrationTests {
    @Suite struct Timeouts {
        @Test func slowCommandTimesOutAndClientRecovers() async throws {
            // DEBUG SLEEP is disabled on the stack's Redis (enable-debug-command no); BLPOP on an empty
            // key is an equally slow reply that does not stall the server for other clients.
            let client = RedisFixture.client { $0.poolSize = 1; $0.commandTimeout = .milliseconds(500) }
            defer { client.shutdown() }
            let key = RedisFixture.key("timeout")
            let (elapsed, result) = await timed { try await client.send("BLPOP", key, "2") }
            let error = try #require(result.redisError, "BLPOP 2 should have timed out, got \(result)")
            #expect(error.kind == .timeout)
            #expect(error.message.contains("timeout"))
            #expect(elapsed >= .milliseconds(450) && elapsed < .milliseconds(1200), "timed out after \(elapsed)")

            // the same (single) connection is replaced transparently
            try await client.ping()
            #expect(try await client.send("SET", key, "ok") == .status("OK"))
            #expect(try await client.send("GET", key).string == "ok")
            _ = try await client.send("DEL", key)
        }

        @Test func requestsQueuedBehindATimeoutFailToo() async throws {
            let client = RedisFixture.client { $0.poolSize = 1; $0.commandTimeout = .milliseconds(300) }
            defer { client.shutdown() }
            let key = RedisFixture.key("timeout-pipeline")
            let result = await timed {
                try await client.pipeline([RedisCommand("BLPOP", key, "2"), RedisCommand("PING")])
            }.result
            #expect(result.redisError?.kind == .timeout)
            try await client.ping()
        }
    }
}
