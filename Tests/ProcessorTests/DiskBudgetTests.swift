import Core
import Foundation
import Kafka
import TestSupport
import Testing

/// The spool's disk budget with a real `replayd processor`: while S3 is frozen the spool fills to
/// `REPLAYD_SPOOL_MAX_BYTES`, the Processor stops taking records (nothing dead-lettered, `/readyz`
/// says why), and once S3 is back it resumes by itself and every batch reaches S3.
@Suite("replayd processor pauses at its disk budget", .serialized)
struct DiskBudgetTests {
    /// A batch whose first event carries `bytes` of random base64 (gzip cannot shrink it much).
    static func bigBatch(topic: String, campaign: UUID, session: String, seq: Int, bytes: Int) -> KafkaOutgoingMessage {
        let now = Date()
        let millis = Int64(now.timeIntervalSince1970 * 1000)
        let noise = Data((0..<(bytes * 3 / 4)).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let body = #"{"key":"\#(ProcessorFixtures.publicKey)","session":"\#(session)","seq":\#(seq),"events":[{"type":3,"data":{"source":5,"text":"\#(noise)"},"timestamp":\#(millis)},{"type":3,"data":{"source":1,"positions":[]},"timestamp":\#(millis + 5)}]}"#
        return KafkaOutgoingMessage(topic: topic, key: Array(session.utf8), value: Array(body.utf8),
                                    headers: ProcessorFixtures.headers(campaign: campaign, session: session, seq: seq, receivedAt: now))
    }

    @Test("S3 frozen: the spool fills to its budget, the processor waits; S3 back: it resumes, nothing lost")
    func pausesAtTheBudgetAndResumes() async throws {
        try await ProcessorStack.withCampaign { _, campaign in
            try await ProcessorStack.withTopics(partitions: 2) { topic, deadLetters in
                let group = TestStack.uniqueName("budget-group")
                let spool = ProcessorStack.spoolDirectory()
                defer { try? FileManager.default.removeItem(atPath: spool) }
                let port = try TestStack.freePort()
                var environment = CommitAfterS3Tests.environment(
                    topic: topic, deadLetters: deadLetters, group: group, spool: spool, instance: "budget", idle: "1s", commitMaxDelay: "10m")
                environment["REPLAYD_SPOOL_MAX_BYTES"] = "2MiB"
                environment["REPLAYD_SPOOL_MIN_FREE_BYTES"] = "0"
                environment["REPLAYD_S3_STALL_TIMEOUT"] = "3s"
                environment["REPLAYD_LOG_LEVEL"] = "notice"
                let processor = try ReplaydProcess.start("processor", port: port, environment: environment)
                defer { processor.stop() }
                let warmup = try await ProcessorStack.produce([Self.bigBatch(topic: topic, campaign: campaign.id, session: "budget-warm", seq: 0, bytes: 1024)])
                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: warmup, timeout: .seconds(60)), "\(processor.log.suffix(1500))")

                let weed = try ProcessorS3OutageTests.weedPIDs().compactMap { Int32($0) }
                try #require(!weed.isEmpty, "SeaweedFS is not running")
                try StackFaults.freeze(weed)
                let sessions = (0..<6).map { "budget\($0)-\(UInt16.random(in: 0...UInt16.max))" }
                let ends: [Int32: Int64]
                do {
                    // 60 batches of 64 KiB: about 3 MiB of gzip, over the 2 MiB budget.
                    ends = try await ProcessorStack.produce((0..<10).flatMap { seq in
                        sessions.map { Self.bigBatch(topic: topic, campaign: campaign.id, session: $0, seq: seq, bytes: 64 << 10) }
                    })
                    let deadline = ContinuousClock.now + .seconds(60)
                    var full = 0.0
                    while full < 1, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(250))
                        full = try ProcessorS3OutageTests.metric("replayd_processor_spool_full", port: processor.adminPort)
                    }
                    #expect(full == 1, "the spool reached its budget: \(processor.log.suffix(2000))")
                    // Held, not dropped: it stops below the 60 batches and stays there.
                    try await Task.sleep(for: .seconds(3))
                    let appended = try ProcessorS3OutageTests.metric("replayd_spool_appends_total{result=\"appended\"}", port: processor.adminPort)
                    try await Task.sleep(for: .seconds(2))
                    #expect(try ProcessorS3OutageTests.metric("replayd_spool_appends_total{result=\"appended\"}", port: processor.adminPort) == appended)
                    #expect(appended < 61, "it stopped taking records (\(appended) appended)")
                    let bytes = try ProcessorS3OutageTests.metric("replayd_spool_bytes", port: processor.adminPort)
                    #expect(bytes < Double(3 << 20), "the spool stayed near its budget (\(bytes) bytes)")
                    let ready = try shell("curl -s -w ' %{http_code}' http://127.0.0.1:\(processor.adminPort)/readyz").output
                    #expect(ready.hasSuffix(" 503") && ready.contains("REPLAYD_SPOOL_MAX_BYTES"), "\(ready)")
                } catch {
                    StackFaults.thaw(weed)
                    throw error
                }
                StackFaults.thaw(weed)

                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(120)), "\(processor.log.suffix(2000))")
                #expect(try ProcessorS3OutageTests.metric("replayd_processor_spool_full", port: processor.adminPort) == 0)
                #expect(try ProcessorS3OutageTests.metric("replayd_processor_dead_letters_total", port: processor.adminPort) == 0)
                #expect(try await ProcessorStack.admin.watermarks(topic: deadLetters, partition: 0).high == 0, "nothing was dead-lettered")
                #expect(processor.log.contains("Spool over its disk budget") && processor.log.contains("Spool has room again"))
                processor.stop()
                let audit = try CommitAfterS3Tests.audit(
                    "--campaign \(campaign.id.uuidString.lowercased()) --json",
                    environment: ["REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_KAFKA_DLQ_TOPIC": deadLetters, "REPLAYD_LOG_LEVEL": "error"])
                #expect(audit.status == 0, "\(audit.output.suffix(2000))")
                #expect(audit.objects.last?["missing"] as? Int == 0)
                #expect(audit.objects.last?["s3_batches"] as? Int == 61)
                await ProcessorStack.deleteOutput(prefix: "sessions/\(campaign.id.uuidString.lowercased())/")
            }
        }
    }
}
