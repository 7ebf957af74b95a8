import Foundation
import Kafka
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

extension KafkaIntegrationTests {
    /// The Processor's stuck-group check describes the consumer group every few seconds while it has
    /// no partitions, so during a broker outage these requests time out. librdkafka keeps the
    /// coordinator lookup of a timed-out DescribeConsumerGroups queued in its handle and, once a broker
    /// is back, uses freed memory for it: on the long-lived admin handle that aborted every Processor
    /// with `rd_kafka_enq_once_del_source_return: Assertion 'eonce->refcnt > 0' failed` (the
    /// broker-lost fault run). Without the fix this test's process aborts the same way.
    ///
    /// Runs a broker of its own (the stack's `tansu` binary on a free port) so it can start it late;
    /// the shared broker is not touched.
    @Suite("Describing a group across a broker outage")
    struct GroupDescribeOutageTests {
        /// A `tansu` broker of the test's own, with memory storage; `stop()` kills it.
        struct OwnBroker {
            let pid: Int32
            let port: Int
            let log: String

            static func binary() throws -> String {
                let stack = ProcessInfo.processInfo.environment["REPLAYD_STACK_DIR"]
                    ?? TestStack.repositoryRoot.appendingPathComponent(".stack").path
                let candidate = stack + "/bin/tansu"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                let pid = try #require(TestStack.brokerPID(), "no tansu binary at \(candidate) and no running broker to find it from")
                return try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
            }

            static func start(port: Int) throws -> OwnBroker {
                let log = FileManager.default.temporaryDirectory.appendingPathComponent("replayd-own-broker-\(port).log").path
                let url = "tcp://127.0.0.1:\(port)"
                let started = try shell("nohup '\(try binary())' broker --listener-url \(url) --advertised-listener-url \(url) "
                    + "--storage-engine memory://tansu/ >'\(log)' 2>&1 & echo $!")
                let pid = try #require(Int32(started.output.trimmingCharacters(in: .whitespacesAndNewlines)), "\(started.output)")
                // Killed with this process too, should it die before `stop()` (as it did without the fix).
                try shell("nohup bash -c 'while kill -0 \(getpid()) && kill -0 \(pid); do sleep 1; done 2>/dev/null; "
                    + "kill -9 \(pid) 2>/dev/null' >/dev/null 2>&1 &")
                let broker = OwnBroker(pid: pid, port: port, log: log)
                let deadline = ContinuousClock.now + .seconds(10)
                while !StackFaults.portOpen(port), ContinuousClock.now < deadline { usleep(50_000) }
                guard StackFaults.portOpen(port) else {
                    broker.stop()
                    throw TestFailure("own broker did not listen on \(port): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
                }
                return broker
            }

            func stop() {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                _ = waitpid(pid, &status, WNOHANG)
            }
        }

        @Test("group descriptions that timed out while no broker was up do not crash the process when one comes up")
        func describeTimedOutThenBrokerStarts() async throws {
            let port = try TestStack.freePort()
            let admin = try KafkaAdminClient(bootstrapServers: "127.0.0.1:\(port)", timeout: .seconds(2), logger: KafkaTest.logger)
            let group = TestStack.uniqueName("describe-outage")
            // Nothing listens yet: each description gives up after the client's timeout.
            for _ in 0..<2 {
                let started = ContinuousClock.now
                await #expect(throws: KafkaError.self) { _ = try await admin.group(group) }
                #expect(started.duration(to: .now) < .seconds(8))
            }

            let broker = try OwnBroker.start(port: port)
            defer { broker.stop() }
            // The broker is up: the group (unknown to it) is described, and the admin client's own
            // handle, which reconnects meanwhile, keeps working.
            var described: KafkaGroupState?
            let deadline = ContinuousClock.now + .seconds(20)
            while described == nil, ContinuousClock.now < deadline {
                described = try? await admin.group(group)
                if described == nil { try await Task.sleep(for: .milliseconds(200)) }
            }
            let state = try #require(described, "the group was not described within 20 s of the broker starting")
            #expect(state.members == 0, "\(state)")
            try await admin.createTopic(group, partitions: 1)
            #expect(try await admin.partitionCount(topic: group) == 1)
            // Any lookup left queued by the timed-out requests has run by now; give it a moment more.
            try await Task.sleep(for: .seconds(1))
            #expect(try await admin.group(group).members == 0)
            await admin.shutdown()
        }
    }
}
