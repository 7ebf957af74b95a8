import Redis
import Testing
import TestSupport

extension RedisIntegrationTests {
    @Suite struct Pipelining {
        @Test func thousandCommandsInOnePipelineReplyInOrder() async throws {
            let client = RedisFixture.client()
            defer { client.shutdown() }
            let prefix = RedisFixture.key("pipeline")
            var commands: [RedisCommand] = []
            for index in 0..<500 {
                commands.append(RedisCommand("SET", "\(prefix):\(index)", "\(index * 10)"))
                commands.append(RedisCommand("INCR", "\(prefix):\(index)"))
            }
            let replies = try await client.pipeline(commands)
            #expect(replies.count == 1000)
            for index in 0..<500 {
                #expect(replies[2 * index] == .status("OK"))
                #expect(replies[2 * index + 1] == .integer(Int64(index * 10 + 1)))
            }
            let check = try await client.pipeline((0..<500).map { RedisCommand("GET", "\(prefix):\($0)") })
            let values: [Int64?] = check.map(\.int)
            let expected: [Int64?] = (0..<500).map { Int64($0 * 10 + 1) }
            #expect(values == expected)
            _ = try await client.send(RedisCommand(arguments: ["DEL"] + (0..<500).map { "\(prefix):\($0)" }))
        }

        @Test func errorRepliesStayInThePipeline() async throws {
            let client = RedisFixture.client()
            defer { client.shutdown() }
            let key = RedisFixture.key("pipeline-error")
            let replies = try await client.pipeline([
                RedisCommand("SET", key, "text"),
                RedisCommand("INCR", key),
                RedisCommand("GET", key),
                RedisCommand("DEL", key),
            ])
            #expect(replies.count == 4)
            #expect(replies[0] == .status("OK"))
            guard case .error(let text) = replies[1] else {
                Issue.record("expected an error reply, got \(replies[1])")
                return
            }
            #expect(text.hasPrefix("ERR"))
            #expect(replies[2].string == "text")
            #expect(replies[3] == .integer(1))
        }

        @Test func concurrentSendsFromManyTasksAllCount() async throws {
            let client = RedisFixture.client()
            defer { client.shutdown() }
            let key = RedisFixture.key("concurrent")
            let tasks = 200, perTask = 100
            let total = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<tasks {
                    group.addTask {
                        var last: Int64 = 0
                        for _ in 0..<perTask {
                            let value = try #require(try await client.send("INCR", key).int)
                            #expect(value > last)  // INCR results seen by one task only grow
                            last = value
                        }
                        return last
                    }
                }
                var highest: Int64 = 0
                for try await last in group { highest = max(highest, last) }
                return highest
            }
            #expect(total == Int64(tasks * perTask))
            #expect(try await client.send("GET", key).int == Int64(tasks * perTask))
            _ = try await client.send("DEL", key)
        }

        @Test func evalshaThroughput() async throws {
            let client = RedisFixture.client()
            defer { client.shutdown() }
            let key = RedisFixture.key("throughput")
            let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
            let tasks = 200, perTask = 100
            let (elapsed, result) = await timed {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<tasks {
                        group.addTask {
                            for _ in 0..<perTask { _ = try await client.eval(script, keys: [key], arguments: ["2"]) }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try result.get()
            #expect(try await client.send("GET", key).int == Int64(2 * tasks * perTask))
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = Int(Double(tasks * perTask) / seconds)
            print("redis: \(tasks * perTask) EVALSHA in \(elapsed) = \(rate)/s")
            #expect(rate > 2_000, "EVALSHA throughput \(rate)/s is far below target")
            _ = try await client.send("DEL", key)
        }
    }
}
