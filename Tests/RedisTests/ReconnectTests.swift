import Foundation
import Redis
import Testing
import TestSupport

extension RedisIntegrationTests {
    /// Takes the shared Redis down for a moment: keep the window short.
    @Suite(.serialized) struct Reconnect {
        static var port: Int { TestStack.redisPort }

        static func redisAnswers() async -> Bool {
            (try? await shellAsync("redis-cli -p \(port) ping"))?.output.contains("PONG") == true
        }

        /// Runs `scripts/stack up` and returns as soon as Redis answers. The script goes on to check
        /// the other services (which can take a while) in the background; its result is not awaited.
        static func startRedis() async throws {
            let script = Task { try await shellAsync("scripts/stack up") }
            for _ in 0..<200 {
                if await redisAnswers() { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            let outcome = try await script.value
            Issue.record("Redis did not come back after scripts/stack up (exit \(outcome.status)): \(outcome.output)")
        }

        @Test func clientRecoversAfterRedisRestarts() async throws {
            let client = RedisFixture.client { $0.poolSize = 4 }
            defer { client.shutdown() }
            let key = RedisFixture.key("restart")

            // open every pooled connection
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<64 { group.addTask { _ = try await client.send("INCR", key) } }
                try await group.waitForAll()
            }
            #expect(try await client.send("GET", key).int == 64)

            // whatever happens in between, Redis is brought back for everyone else
            do {
                try await whileRedisIsDown(client: client, key: key)
            } catch {
                try await Self.startRedis()
                throw error
            }
            try await Self.startRedis()

            // the same client works again, on every pooled connection
            try await client.ping()
            #expect(try await client.send("SET", key, "after") == .status("OK"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<64 { group.addTask { try await client.ping() } }
                try await group.waitForAll()
            }
            #expect(try await client.send("GET", key).string == "after")
            _ = try await client.send("DEL", key)
        }

        /// Shuts Redis down and checks commands fail fast with typed errors. Leaves Redis down.
        private func whileRedisIsDown(client: RedisClient, key: String) async throws {
            let down = try await shellAsync("redis-cli -p \(Self.port) shutdown nosave")
            #expect(down.output.isEmpty || down.output.contains("not connected"), "redis-cli shutdown: \(down.output)")
            var stillUp = await Self.redisAnswers()
            for _ in 0..<50 where stillUp {
                try await Task.sleep(for: .milliseconds(20))
                stillUp = await Self.redisAnswers()
            }
            try #require(!stillUp, "could not stop Redis: it still answers after SHUTDOWN")

            // while it is down, commands fail fast with a typed connection error
            for attempt in 0..<3 {
                let (elapsed, result) = await timed { try await client.send("GET", key) }
                let error = try #require(result.redisError, "attempt \(attempt) should fail while Redis is down")
                #expect(error.kind == .connectionFailed || error.kind == .connectionLost, "\(error)")
                #expect(error.isConnectionError)
                #expect(error.message.contains("\(TestStack.redisHost):\(Self.port)"))
                #expect(elapsed < .milliseconds(900), "failing took \(elapsed)")
            }
            let pipelined = await timed { try await client.pipeline([RedisCommand("PING"), RedisCommand("PING")]) }.result
            #expect(pipelined.redisError?.isConnectionError == true)
        }
    }
}
