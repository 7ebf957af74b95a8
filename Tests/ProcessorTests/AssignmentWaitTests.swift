import Core
import Foundation
import Kafka
import Processor
import TestSupport
import Testing

/// A Processor without partitions says why, once it has waited longer than
/// `REPLAYD_PROCESSOR_ASSIGNMENT_WAIT`: idle when its group has more members than the topic has
/// partitions (ready), stuck otherwise (a warning, `replayd_processor_assignment_stuck`, `/readyz` 503).
@Suite("A Processor waiting for partitions is told apart: idle or stuck", .serialized)
struct AssignmentWaitTests {
    /// Claims a group that is no larger than the topic, whatever the broker says.
    struct SmallGroup: ProcessorGroupInspector {
        func group(_ group: String) async throws -> KafkaGroupState { KafkaGroupState(state: "Stable", members: 1) }
        func partitionCount(topic: String) async throws -> Int32 { 4 }
    }

    @Test("two real processors on a one-partition topic: the one without it reports itself idle, and ready")
    func idleMemberIsReady() async throws {
        try await ProcessorStack.withTopics(partitions: 1) { topic, deadLetters in
            let group = TestStack.uniqueName("idle-group")
            var processes: [ReplaydProcess] = []
            defer { for process in processes { process.stop() } }
            for name in ["a", "b"] {
                var environment = CommitAfterS3Tests.environment(
                    topic: topic, deadLetters: deadLetters, group: group, spool: ProcessorStack.spoolDirectory(), instance: name,
                    idle: "1s", commitMaxDelay: "5m")
                environment["REPLAYD_PROCESSOR_ASSIGNMENT_WAIT"] = "2s"
                environment["REPLAYD_LOG_LEVEL"] = "info"
                processes.append(try ReplaydProcess.start("processor", port: try TestStack.freePort(), environment: environment))
            }
            // Both joined, one holds the partition; the other has waited past 2 s.
            let deadline = ContinuousClock.now + .seconds(60)
            var idle: ReplaydProcess?
            while idle == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(500))
                idle = processes.first { $0.log.contains("Processor idle") }
            }
            let waiting = try #require(idle, "no processor reported itself idle: \(processes.map { $0.log.suffix(1500) })")
            #expect(try ProcessorS3OutageTests.metric("replayd_processor_unassigned_seconds", port: waiting.adminPort) >= 2)
            for process in processes {
                #expect(try ProcessorS3OutageTests.metric("replayd_processor_assignment_stuck", port: process.adminPort) == 0)
                let ready = try shell("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(process.adminPort)/readyz").output
                #expect(ready == "200", "\(process.log.suffix(1000))")
            }
            #expect(waiting.log.contains("members=2") && waiting.log.contains("partitions=1"), "\(waiting.log.suffix(1000))")
        }
    }

    @Test("a processor without partitions in a group no larger than the topic reports itself stuck")
    func waitingWithoutReasonIsStuck() async throws {
        try await ProcessorStack.withCampaign { postgres, _ in
            try await ProcessorStack.withTopics(partitions: 1) { topic, deadLetters in
                let group = TestStack.uniqueName("stuck-group")
                var configuration = ProcessorStack.configuration(topic: topic, deadLetters: deadLetters, group: group, instance: "holder")
                configuration.assignmentWait = .seconds(1)
                let holder = try ProcessorNode(configuration: configuration, postgres: postgres, prefix: "stuck-test/")
                #expect(try await holder.waitAssigned())
                configuration.instanceID = "waiter"
                let waiter = try ProcessorNode(configuration: configuration, postgres: postgres, prefix: "stuck-test/", inspector: SmallGroup())
                let deadline = ContinuousClock.now + .seconds(30)
                while !waiter.processor.health.assignment.isStuck, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                }
                let health = waiter.processor.health
                #expect(health.assignment.isStuck, "\(health)")
                #expect(health.problem?.contains("REPLAYD_KAFKA_GROUP") == true, "\(String(describing: health.problem))")
                #expect(holder.processor.health.problem == nil)
                try await waiter.stop()
                try await holder.stop()
            }
        }
    }
}
