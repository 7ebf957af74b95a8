import Core
import Foundation
import Kafka
import TestSupport
import Testing

/// S3 frozen for 20 s while a real `replayd processor` consumes: uploads retry, nothing is
/// dead-lettered, the group does not rebalance, no offset is committed past a batch not in S3, and
/// every batch ends up in S3.
@Suite("replayd processor through an S3 outage", .serialized)
struct ProcessorS3OutageTests {
    static func weedPIDs() throws -> [String] {
        try shell("pgrep -f '^[^ ]*weed server' || true").output.split(separator: "\n").map(String.init)
    }

    static func segmentFiles(in directory: String) throws -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory))?.filter { $0.hasSuffix(".jsonl.gz") } ?? []
    }

    /// The sum of a metric's samples on the operational listener at `port`.
    static func metric(_ name: String, port: Int) throws -> Double {
        let text = try shell("curl -s http://127.0.0.1:\(port)/metrics").output
        return text.split(separator: "\n").filter { $0.hasPrefix(name) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    @Test("S3 stopped for 20 s: retries, no dead letters, no rebalance, no loss")
    func s3OutageDuringConsumption() async throws {
        try await ProcessorStack.withCampaign { _, campaign in
            try await ProcessorStack.withTopics(partitions: 4) { topic, deadLetters in
                let group = TestStack.uniqueName("s3-outage-group")
                let sessions = (0..<200).map { "o\($0)-\(UInt16.random(in: 0...UInt16.max))" }
                let port = try TestStack.freePort()
                let spool = ProcessorStack.spoolDirectory()
                let processor = try ReplaydProcess.start("processor", port: port, environment: [
                    "REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_KAFKA_DLQ_TOPIC": deadLetters, "REPLAYD_KAFKA_GROUP": group,
                    "REPLAYD_KAFKA_SESSION_TIMEOUT": "6s", "REPLAYD_SPOOL_DIR": spool,
                    "REPLAYD_SPOOL_IDLE_TIMEOUT": "1s", "REPLAYD_LOG_LEVEL": "warning",
                    // A frozen S3 accepts connections and never answers: requests fail after 3 s and retry.
                    "REPLAYD_S3_STALL_TIMEOUT": "3s",
                ])
                defer { processor.stop() }
                // Joined and consuming: the first half lands and uploads.
                let first = try await ProcessorStack.produce(ProcessorIntegrationTests.batches(
                    topic: topic, campaign: campaign.id, sessions: sessions, seqs: 0..<5))
                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: first, timeout: .seconds(60)))
                let assignedBefore = try Self.metric("replayd_processor_rebalances_total{event=\"assigned\"}", port: processor.adminPort)

                let weed = try Self.weedPIDs()
                try #require(!weed.isEmpty, "SeaweedFS is not running")
                let frozen = weed.compactMap { Int32($0) }
                try StackFaults.freeze(frozen)
                let ends: [Int32: Int64]
                do {
                    ends = try await ProcessorStack.produce(ProcessorIntegrationTests.batches(
                        topic: topic, campaign: campaign.id, sessions: sessions, seqs: 5..<10))
                    // Consumption goes on into the spool while S3 is away, but nothing is committed
                    // past a batch that is not in S3 (commit after S3).
                    let spooledDeadline = ContinuousClock.now + .seconds(60)
                    var appended = 0.0
                    while appended < 2_000, ContinuousClock.now < spooledDeadline {
                        try await Task.sleep(for: .milliseconds(250))
                        appended = try Self.metric("replayd_spool_appends_total{result=\"appended\"}", port: processor.adminPort)
                    }
                    #expect(appended >= 2_000, "the second half reached the spool while S3 was away (\(appended))")
                    try await Task.sleep(for: .seconds(20))
                    #expect(!(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(1))),
                            "offsets were committed for batches that could not be in S3")
                } catch {
                    StackFaults.thaw(frozen)
                    throw error
                }
                StackFaults.thaw(frozen)

                let failures = try Self.metric("replayd_upload_failures_total", port: processor.adminPort)
                let assignedAfter = try Self.metric("replayd_processor_rebalances_total{event=\"assigned\"}", port: processor.adminPort)
                let deadLettered = try Self.metric("replayd_processor_dead_letters_total", port: processor.adminPort)
                #expect(assignedAfter == assignedBefore, "the group rebalanced during the outage")
                #expect(deadLettered == 0)
                #expect(try await ProcessorStack.admin.watermarks(topic: deadLetters, partition: 0).high == 0, "nothing was dead-lettered")
                #expect(failures > 0, "no upload failed (and was retried) while S3 was frozen")
                print("upload attempts that failed during the outage (each retried): \(Int(failures))")

                // S3 is back: the uploads in backoff go through, and a segment's file is deleted only
                // once S3 confirmed it. Wait for that (bounded) rather than for a graceful stop, whose
                // upload deadline may fall inside an upload's backoff.
                let drainDeadline = ContinuousClock.now + .seconds(120)
                var left = try Self.segmentFiles(in: spool)
                while !left.isEmpty, ContinuousClock.now < drainDeadline {
                    try await Task.sleep(for: .milliseconds(500))
                    left = try Self.segmentFiles(in: spool)
                }
                #expect(left.isEmpty, "segments still in the spool 120 s after S3 came back: \(left.prefix(5))")
                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(30)),
                        "every offset committed once its batch was in S3")
                print("spool drained \(ContinuousClock.now - (drainDeadline - .seconds(120))) after S3 came back")
                processor.stop()
                let output = try await ProcessorStack.readOutput(prefix: "sessions/", campaign: campaign.id)
                _ = ProcessorIntegrationTests.verify(output, sessions: sessions, seqs: 0..<10)
                await ProcessorStack.deleteOutput(prefix: "sessions/\(campaign.id.uuidString.lowercased())/")
            }
        }
    }
}
