import Core
import Foundation
import Kafka
import TestSupport
import Testing

/// Two real `replayd processor` processes share the partitions; one is `kill -9`ed mid-stream and
/// started again on the same spool directory (its spool is recovered). Every session's output in S3
/// equals its input, in seq order, once (after the read-side de-duplication playback applies).
@Suite("replayd processor survives kill -9", .serialized)
struct ProcessorKillTests {
    @Test("kill -9 one of two processors mid-stream, start it again: nothing lost, nothing doubled")
    func killNineAndRestart() async throws {
        try await ProcessorStack.withCampaign { _, campaign in
            try await ProcessorStack.withTopics(partitions: 6) { topic, deadLetters in
                let group = TestStack.uniqueName("kill-group")
                let sessions = (0..<2_000).map { "k\($0)-\(UInt16.random(in: 0...UInt16.max))" }
                let spoolA = ProcessorStack.spoolDirectory(), spoolB = ProcessorStack.spoolDirectory()
                func environment(_ spool: String, _ instance: String) -> [String: String] {
                    ["REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_KAFKA_DLQ_TOPIC": deadLetters, "REPLAYD_KAFKA_GROUP": group,
                     "REPLAYD_KAFKA_SESSION_TIMEOUT": "6s", "REPLAYD_SPOOL_DIR": spool, "REPLAYD_SPOOL_IDLE_TIMEOUT": "2s",
                     "REPLAYD_PROCESSOR_INSTANCE": instance, "REPLAYD_LOG_LEVEL": "warning"]
                }
                let portA = try TestStack.freePort(), portB = try TestStack.freePort()
                var a = try ReplaydProcess.start("processor", port: portA, environment: environment(spoolA, "a"))
                let b = try ReplaydProcess.start("processor", port: portB, environment: environment(spoolB, "b"))
                defer { a.stop(); b.stop() }

                let producing = Task {
                    try await ProcessorStack.produce(ProcessorIntegrationTests.batches(
                        topic: topic, campaign: campaign.id, sessions: sessions, seqs: 0..<10))
                }
                // Kill a once the group has committed some progress.
                let admin = ProcessorStack.admin
                var progressed = false
                let progressDeadline = ContinuousClock.now + .seconds(120)
                while !progressed, ContinuousClock.now < progressDeadline {
                    try await Task.sleep(for: .milliseconds(100))
                    var committed: Int64 = 0
                    for partition in 0..<6 {
                        committed += (try? await admin.committedOffset(group: group, topic: topic, partition: Int32(partition))) ?? 0
                    }
                    progressed = committed > 2_000
                }
                #expect(progressed, "the group committed progress before the kill")
                a.crash()
                a = try ReplaydProcess.start("processor", port: portA, environment: environment(spoolA, "a"))

                let ends = try await producing.value
                #expect(ends.values.reduce(0, +) == 20_000)
                let committed = try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(180))
                #expect(committed, "a: \(a.log.suffix(1500))\nb: \(b.log.suffix(1500))")
                // Graceful stops close and upload every segment (idle ones are already up).
                a.stop()
                b.stop()
                let output = try await ProcessorStack.readOutput(prefix: "sessions/", campaign: campaign.id)
                let repeats = ProcessorIntegrationTests.verify(output, sessions: sessions, seqs: 0..<10)
                print("batches redelivered after the kill (removed on read): \(repeats)")
                await ProcessorStack.deleteOutput(prefix: "sessions/\(campaign.id.uuidString.lowercased())/")
            }
        }
    }
}
