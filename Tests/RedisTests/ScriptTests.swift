import Redis
import Testing
import TestSupport

@Suite struct RedisScriptDigestTests {
    @Test func digestIsLowercaseHexSHA1() {
        // sha1("return 1"), as `redis-cli SCRIPT LOAD "return 1"` prints it
        #expect(RedisScript("return 1").sha1 == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
        #expect(RedisScript("").sha1 == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }
}

extension RedisIntegrationTests {
    @Suite struct Scripts {
        @Test func scriptSurvivesScriptFlush() async throws {
            let client = RedisFixture.client { $0.poolSize = 2 }
            defer { client.shutdown() }
            let key = RedisFixture.key("script")
            let script = RedisScript("""
                local value = redis.call('INCRBY', KEYS[1], ARGV[1])
                return {value, ARGV[2]}
                """)
            let loaded = try await client.send("SCRIPT", "LOAD", script.source)
            #expect(loaded.string == script.sha1)

            let first = try await client.eval(script, keys: [key], arguments: ["5", "first"])
            #expect(first == .array([.integer(5), .bulk(Array("first".utf8))]))

            _ = try await client.send("SCRIPT", "FLUSH")
            let exists = try await client.send("SCRIPT", "EXISTS", script.sha1)
            #expect(exists == .array([.integer(0)]))

            let second = try await client.eval(script, keys: [key], arguments: ["7", "second"])
            #expect(second == .array([.integer(12), .bulk(Array("second".utf8))]))
            // ... and the script is cached again, so later calls are plain EVALSHA
            #expect(try await client.send("SCRIPT", "EXISTS", script.sha1) == .array([.integer(1)]))
            let third = try await client.eval(script, keys: [key], arguments: ["1", "third"])
            #expect(third.array?.first?.int == 13)
            _ = try await client.send("DEL", key)
        }

        @Test func scriptErrorsAreThrownAsServerErrors() async throws {
            let client = RedisFixture.client { $0.poolSize = 1 }
            defer { client.shutdown() }
            let script = RedisScript("return redis.error_reply('BOOM from the script')")
            let result = await timed { try await client.eval(script, keys: [], arguments: []) }.result
            let error = try #require(result.redisError)
            #expect(error.serverMessage?.contains("BOOM from the script") == true)
        }
    }
}
