import NIOCore
import NIOPosix
import Redis
import Synchronization
import Testing
import TestSupport

/// Counts event-loop ticks from a repeated task.
private final class TickCounter: Sendable {
    let ticks = Atomic<Int>(0)
}

/// Issues Redis calls from code running on a NIO event loop (its executor is the loop).
private actor EventLoopBoundWorker {
    let loop: any EventLoop
    init(loop: any EventLoop) { self.loop = loop }
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    func blockingPops(client: RedisClient, keys: [String], seconds: Int) async throws -> [RedisReply] {
        loop.preconditionInEventLoop()
        let replies = try await withThrowingTaskGroup(of: RedisReply.self) { group in
            for key in keys { group.addTask { try await client.send("BLPOP", key, String(seconds)) } }
            var replies: [RedisReply] = []
            for try await reply in group { replies.append(reply) }
            return replies
        }
        loop.preconditionInEventLoop()
        return replies
    }
}

extension RedisIntegrationTests {
    @Suite struct EventLoopBlocking {
        @Test func slowRedisWorkBlocksNeitherEventLoopNorCooperativePool() async throws {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let loop = group.next()
            let counter = TickCounter()
            let ticking = loop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) { _ in
                counter.ticks.add(1, ordering: .relaxed)
            }
            // 4 concurrent 1 s BLPOPs: more than the cooperative pool has threads on this machine
            let slow = RedisFixture.client { $0.poolSize = 4; $0.commandTimeout = .seconds(4) }
            let fast = RedisFixture.client()
            defer { slow.shutdown(); fast.shutdown() }
            let keys = (0..<4).map { RedisFixture.key("blpop-\($0)") }
            let counterKey = RedisFixture.key("burst")
            let worker = EventLoopBoundWorker(loop: loop)
            let clock = ContinuousClock()
            func incrementBurst(_ key: String) async -> (Duration, Result<Void, any Error>) {
                await timed {
                    try await withThrowingTaskGroup(of: Void.self) { tasks in
                        for _ in 0..<50 {
                            tasks.addTask { for _ in 0..<40 { _ = try await fast.send("INCR", key) } }
                        }
                        try await tasks.waitForAll()
                    }
                }
            }
            // The same burst with nothing blocked, measured on this machine now: the reference below.
            let baselineKey = RedisFixture.key("burst-baseline")
            let (baseline, baselineBurst) = await incrementBurst(baselineKey)
            try baselineBurst.get()
            _ = try await fast.send("DEL", baselineKey)

            let start = clock.now
            let ticksAtStart = counter.ticks.load(ordering: .relaxed)

            async let pops = worker.blockingPops(client: slow, keys: keys, seconds: 1)
            try await Task.sleep(for: .milliseconds(150))

            // the cooperative pool still runs new work promptly
            let probeStart = clock.now
            let probe = await Task { 6 * 7 }.value
            let probeLatency = clock.now - probeStart
            #expect(probe == 42)
            // Blocked threads would hold it until the BLPOPs return, ~850 ms from here.
            #expect(probeLatency < .milliseconds(400), "a trivial Task took \(probeLatency) during slow Redis work")

            // and a burst of ordinary commands goes through meanwhile
            let (burstTime, burst) = await incrementBurst(counterKey)
            try burst.get()
            #expect(try await fast.send("GET", counterKey).int == 2000)
            // Had it waited for the BLPOPs, it would take ~850 ms more than with nothing blocked.
            #expect(burstTime < baseline + .milliseconds(600),
                    "2,000 INCRs took \(burstTime) next to blocked connections, \(baseline) with nothing blocked")

            let popped = try await pops
            let window = clock.now - start
            let ticks = counter.ticks.load(ordering: .relaxed) - ticksAtStart
            ticking.cancel()
            try await group.shutdownGracefully()

            #expect(popped == Array(repeating: .null, count: 4))
            #expect(window >= .milliseconds(950), "BLPOP 1 returned after only \(window)")
            #expect(ticks >= 20, "the event loop ticked only \(ticks) times in \(window)")
            _ = try await fast.send("DEL", counterKey)
        }
    }
}
