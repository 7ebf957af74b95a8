import Redis
import ServiceLifecycle
import Testing
import TestSupport

extension RedisIntegrationTests {
    @Suite struct Client {
        @Test func binarySafeArgumentsAndReplies() async throws {
            let client = RedisFixture.client()
            defer { client.shutdown() }
            let key = Array(RedisFixture.key("binary").utf8) + [0, 13, 10, 0xff]
            let value: [UInt8] = Array(0...255) + [13, 10, 0, 36, 42] + Array(0...255).reversed()
            let set = try await client.send(RedisCommand(rawArguments: [Array("SET".utf8), key, value]))
            #expect(set == .status("OK"))
            let get = try await client.send(RedisCommand(rawArguments: [Array("GET".utf8), key]))
            #expect(get == .bulk(value))
            #expect(try await client.send(RedisCommand(rawArguments: [Array("STRLEN".utf8), key])) == .integer(Int64(value.count)))
            let empty = try await client.send(RedisCommand(rawArguments: [Array("SET".utf8), key, []]))
            #expect(empty == .status("OK"))
            #expect(try await client.send(RedisCommand(rawArguments: [Array("GET".utf8), key])) == .bulk([]))
            _ = try await client.send(RedisCommand(rawArguments: [Array("DEL".utf8), key]))
        }

        @Test func runsAsAServiceAndClosesAtGracefulShutdown() async throws {
            let client = RedisFixture.client()
            let group = ServiceGroup(configuration: .init(services: [.init(service: client)], logger: RedisFixture.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await client.ping()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            let error = await #expect(throws: RedisError.self) { try await client.ping() }
            #expect(error?.kind == .closed)
            await client.close()  // idempotent
        }

        @Test func repliesOfEveryType() async throws {
            let client = RedisFixture.client()
            defer { client.shutdown() }
            let key = RedisFixture.key("types")
            #expect(try await client.send("GET", key) == .null)
            #expect(try await client.send("RPUSH", key, "a", "b", "c") == .integer(3))
            #expect(try await client.send("LRANGE", key, "0", "-1") == .array([.bulk([97]), .bulk([98]), .bulk([99])]))
            #expect(try await client.send("LRANGE", RedisFixture.key("none"), "0", "-1") == .array([]))
            #expect(try await client.send("ECHO", "") == .bulk([]))
            _ = try await client.send("DEL", key)
        }

        @Test func errorReplyIsThrownAsServerError() async throws {
            let client = RedisFixture.client()
            defer { client.shutdown() }
            let key = RedisFixture.key("wrongtype")
            _ = try await client.send("RPUSH", key, "x")
            let error = try await #require(throws: RedisError.self) { try await client.send("INCR", key) }
            #expect(error.serverMessage?.hasPrefix("WRONGTYPE") == true)
            #expect(error.code == "redis_server_error")
            #expect(!error.isConnectionError)
            // the connection is still in step after an error reply
            #expect(try await client.send("LLEN", key) == .integer(1))
            _ = try await client.send("DEL", key)
        }

        @Test func emptyCommandIsRejectedBeforeSending() async throws {
            let client = RedisFixture.client { $0.poolSize = 1 }
            defer { client.shutdown() }
            let error = try await #require(throws: RedisError.self) { try await client.send(RedisCommand(rawArguments: [])) }
            #expect(error.kind == .invalidCommand)
            try await client.ping()
        }

        @Test func selectsTheConfiguredDatabase() async throws {
            let key = RedisFixture.key("database")
            let db5 = RedisFixture.client { $0.database = 5; $0.poolSize = 1 }
            let db0 = RedisFixture.client { $0.poolSize = 1 }
            defer { db5.shutdown(); db0.shutdown() }
            _ = try await db5.send("SET", key, "five")
            #expect(try await db5.send("GET", key).string == "five")
            #expect(try await db0.send("GET", key) == .null)
            _ = try await db5.send("DEL", key)
        }

        @Test func rejectedPasswordIsAConnectionError() async throws {
            let client = RedisFixture.client { $0.password = "not-the-password"; $0.poolSize = 1 }
            defer { client.shutdown() }
            let error = try await #require(throws: RedisError.self) { try await client.ping() }
            #expect(error.kind == .connectionFailed)
            #expect(error.message.contains("credentials"), "\(error.message)")
        }

        @Test func refusedConnectionFailsFastWithAnActionableMessage() async throws {
            let client = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: 1), logger: RedisFixture.logger)
            defer { client.shutdown() }
            let (elapsed, result) = await timed { try await client.send("PING") }
            let error = try #require(result.redisError)
            #expect(error.kind == .connectionFailed)
            #expect(error.message.contains("127.0.0.1:1 refused the connection"), "\(error.message)")
            #expect(error.message.contains("REPLAYD_REDIS_URL"))
            #expect(elapsed < .milliseconds(500))
        }

        @Test func unreachableHostRespectsConnectTimeout() async throws {
            // TEST-NET-1 (RFC 5737): never routed, so the connect either hangs until the timeout or fails at once
            var configuration = RedisConfiguration(host: "192.0.2.1", port: 6379)
            configuration.connectTimeout = .milliseconds(300)
            let client = RedisClient(configuration: configuration, logger: RedisFixture.logger)
            defer { client.shutdown() }
            let (elapsed, result) = await timed { try await client.send("PING") }
            #expect(result.redisError?.kind == .connectionFailed)
            #expect(elapsed < .milliseconds(900), "connect took \(elapsed)")
        }

        @Test func shutdownFailsInFlightAndLaterWorkAndIsIdempotent() async throws {
            let client = RedisFixture.client { $0.poolSize = 2; $0.commandTimeout = .seconds(10) }
            let key = RedisFixture.key("shutdown")
            try await client.ping()
            async let blocked = timed { try await client.send("BLPOP", key, "5") }
            try await Task.sleep(for: .milliseconds(200))
            let (shutdownTime, _) = await timed { client.shutdown() }
            let (elapsed, result) = await blocked
            #expect(result.redisError?.kind == .closed, "\(result)")
            #expect(elapsed < .seconds(2), "in-flight BLPOP ended after \(elapsed)")
            #expect(shutdownTime < .seconds(1))

            let later = await timed { try await client.send("PING") }.result
            #expect(later.redisError?.kind == .closed)
            client.shutdown()
        }
    }
}
