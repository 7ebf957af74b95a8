import Core
import Foundation
import Kafka
import TestSupport
import Testing

/// PostgreSQL stopped for 90 s while a real `replayd processor` consumes a steady stream: campaigns
/// seen before are served from the stale cache, uploads wait for the index, nothing is dead-lettered,
/// and every batch reaches S3 once PostgreSQL is back.
@Suite("replayd processor through a PostgreSQL outage", .serialized)
struct ProcessorPostgresOutageTests {
    @Test("PostgreSQL stopped for 90 s under a steady stream: zero dead letters, nothing lost")
    func postgresOutageDeadLettersNothing() async throws {
        try await ProcessorStack.withCampaign { _, campaign in
            try await ProcessorStack.withTopics(partitions: 2) { topic, deadLetters in
                let group = TestStack.uniqueName("pg-outage-group")
                let sessions = (0..<20).map { "pg\($0)-\(UInt16.random(in: 0...UInt16.max))" }
                let port = try TestStack.freePort()
                let spool = ProcessorStack.spoolDirectory()
                defer { try? FileManager.default.removeItem(atPath: spool) }
                let processor = try ReplaydProcess.start("processor", port: port, environment: [
                    "REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_KAFKA_DLQ_TOPIC": deadLetters, "REPLAYD_KAFKA_GROUP": group,
                    "REPLAYD_KAFKA_SESSION_TIMEOUT": "6s", "REPLAYD_SPOOL_DIR": spool, "REPLAYD_SPOOL_IDLE_TIMEOUT": "2s",
                    "REPLAYD_LOG_LEVEL": "warning",
                ])
                defer { processor.stop() }
                // Before the outage: the campaign is looked up once and the first batches land.
                let first = try await ProcessorStack.produce(ProcessorIntegrationTests.batches(
                    topic: topic, campaign: campaign.id, sessions: sessions, seqs: 0..<1))
                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: first, timeout: .seconds(60)),
                        "\(processor.log.suffix(1500))")

                let stopped = try StackFaults.stopPostgres()
                let outageStart = ContinuousClock.now
                var ends = first
                do {
                    // A steady stream for 90 s: one seq of every session every 10 s.
                    for seq in 1..<10 {
                        let produced = try await ProcessorStack.produce(ProcessorIntegrationTests.batches(
                            topic: topic, campaign: campaign.id, sessions: sessions, seqs: seq..<(seq + 1)))
                        ends.merge(produced) { max($0, $1) }
                        try await Task.sleep(until: outageStart + .seconds(10 * seq), clock: .continuous)
                    }
                } catch {
                    try stopped.restart()
                    throw error
                }
                // Still consuming after the campaign's entry expired (60 s): every batch of the outage
                // reaches the spool before PostgreSQL is back (a lookup gives up after 2 s and the
                // stale entry answers; before, it waited on the connection pool and the spool stalled).
                let appended = try await CommitAfterS3Tests.waitSpooled(200, port: processor.adminPort, timeout: .seconds(10))
                #expect(appended >= 200, "batches spooled during the outage: \(appended) of 200")
                let deadLetteredDuring = try ProcessorS3OutageTests.metric("replayd_processor_dead_letters_total", port: processor.adminPort)
                let stale = try ProcessorS3OutageTests.metric("replayd_processor_campaign_stale_total", port: processor.adminPort)
                try stopped.restart()
                print("PostgreSQL was down for \(ContinuousClock.now - outageStart); stale campaign answers: \(Int(stale))")
                #expect(deadLetteredDuring == 0, "dead letters during the outage")
                #expect(stale > 0, "the campaign was served from the stale cache (its entry outlived its 60 s TTL)")

                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(120)),
                        "\(processor.log.suffix(1500))")
                #expect(try await ProcessorStack.admin.watermarks(topic: deadLetters, partition: 0).high == 0, "nothing was dead-lettered")
                processor.stop()
                let output = try await ProcessorStack.readOutput(prefix: "sessions/", campaign: campaign.id)
                _ = ProcessorIntegrationTests.verify(output, sessions: sessions, seqs: 0..<10)
                await ProcessorStack.deleteOutput(prefix: "sessions/\(campaign.id.uuidString.lowercased())/")
            }
        }
    }
}
