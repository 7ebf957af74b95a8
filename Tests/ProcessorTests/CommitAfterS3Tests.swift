import Core
import Foundation
import Kafka
import S3
import TestSupport
import Testing

/// Commit after S3 with real `replayd processor` processes: a partition's committed offset passes a
/// batch only once the batch is in S3, so the spool is a cache that may be lost with its disk.
@Suite("replayd processor commits only what is in S3", .serialized)
struct CommitAfterS3Tests {
    static func environment(topic: String, deadLetters: String, group: String, spool: String, instance: String,
                            idle: String, commitMaxDelay: String) -> [String: String] {
        ["REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_KAFKA_DLQ_TOPIC": deadLetters, "REPLAYD_KAFKA_GROUP": group,
         "REPLAYD_KAFKA_SESSION_TIMEOUT": "6s", "REPLAYD_SPOOL_DIR": spool, "REPLAYD_SPOOL_IDLE_TIMEOUT": idle,
         "REPLAYD_COMMIT_MAX_DELAY": commitMaxDelay, "REPLAYD_PROCESSOR_INSTANCE": instance, "REPLAYD_LOG_LEVEL": "warning"]
    }

    /// Waits until the processor whose operational listener is `port` has appended `count` batches to its spool.
    static func waitSpooled(_ count: Int, port: Int, timeout: Duration = .seconds(90)) async throws -> Double {
        let deadline = ContinuousClock.now + timeout
        var appended = 0.0
        while appended < Double(count), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            appended = (try? ProcessorS3OutageTests.metric("replayd_spool_appends_total{result=\"appended\"}", port: port)) ?? 0
        }
        return appended
    }

    @Test("kill -9 a processor holding acknowledged batches and delete its spool: a new one with an empty spool stores every batch once")
    func lostSpoolLosesNothing() async throws {
        try await ProcessorStack.withCampaign { _, campaign in
            try await ProcessorStack.withTopics(partitions: 4) { topic, deadLetters in
                let group = TestStack.uniqueName("lost-spool-group")
                let sessions = (0..<100).map { "lost\($0)-\(UInt16.random(in: 0...UInt16.max))" }
                let spoolA = ProcessorStack.spoolDirectory(), spoolB = ProcessorStack.spoolDirectory()
                defer { for path in [spoolA, spoolB] { try? FileManager.default.removeItem(atPath: path) } }
                let portA = try TestStack.freePort(), portB = try TestStack.freePort()
                // Segments stay open (no idle or commit-delay close): everything a holds is on its disk only.
                let a = try ReplaydProcess.start("processor", port: portA, environment: Self.environment(
                    topic: topic, deadLetters: deadLetters, group: group, spool: spoolA, instance: "a", idle: "10m", commitMaxDelay: "10m"))
                defer { a.crash() }
                let ends = try await ProcessorStack.produce(ProcessorIntegrationTests.batches(
                    topic: topic, campaign: campaign.id, sessions: sessions, seqs: 0..<5))
                #expect(ends.values.reduce(0, +) == 500)
                let spooled = try await Self.waitSpooled(500, port: a.adminPort)
                try #require(spooled >= 500, "a spooled every batch (\(spooled)): \(a.log.suffix(1500))")
                // Durable in a's spool, but not in S3: nothing may be committed past them.
                #expect(!(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(2))),
                        "offsets were committed for batches only on one disk")

                // The machine is lost: the process and its disk.
                a.crash()
                try FileManager.default.removeItem(atPath: spoolA)
                let b = try ReplaydProcess.start("processor", port: portB, environment: Self.environment(
                    topic: topic, deadLetters: deadLetters, group: group, spool: spoolB, instance: "b", idle: "1s", commitMaxDelay: "5m"))
                defer { b.stop() }
                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(120)), "\(b.log.suffix(1500))")
                b.stop()
                let output = try await ProcessorStack.readOutput(prefix: "sessions/", campaign: campaign.id)
                let repeats = ProcessorIntegrationTests.verify(output, sessions: sessions, seqs: 0..<5)
                #expect(repeats == 0, "nothing of a's reached S3, so nothing repeats")
                #expect(try await ProcessorStack.admin.watermarks(topic: deadLetters, partition: 0).high == 0)
                try await Self.auditAgrees(topic: topic, deadLetters: deadLetters, campaign: campaign.id, sessions: sessions, seqs: 0..<5)
                await ProcessorStack.deleteOutput(prefix: "sessions/\(campaign.id.uuidString.lowercased())/")
            }
        }
    }

    /// `replayd audit` over the run: nothing missing; an `--expect` file with one batch never sent
    /// and an S3 object deleted behind the pipeline's back are each reported with exit status 1.
    static func auditAgrees(topic: String, deadLetters: String, campaign: UUID, sessions: [String], seqs: Range<Int>) async throws {
        let environment = ["REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_KAFKA_DLQ_TOPIC": deadLetters, "REPLAYD_LOG_LEVEL": "error"]
        let id = campaign.uuidString.lowercased()
        let clean = try Self.audit("--campaign \(id) --json", environment: environment)
        #expect(clean.status == 0, "\(clean.output.suffix(2000))")
        let summary = try #require(clean.objects.last, "\(clean.output.suffix(2000))")
        #expect(summary["missing"] as? Int == 0)
        #expect(summary["kafka_batches"] as? Int == sessions.count * seqs.count)
        #expect(summary["s3_batches"] as? Int == sessions.count * seqs.count)

        // What clients were told was accepted: five sessions' batches, and one the pipeline never got.
        var lines: [String] = []
        for session in sessions.prefix(5) {
            for seq in seqs {
                let events = ProcessorFixtures.events(seq: seq, at: ProcessorIntegrationTests.receivedAt, session: session)
                lines.append(#"{"session":"\#(session)","seq":\#(seq),"events":2,"sha256":"\#(PayloadHasher.sha256(Array(events.utf8)))"}"#)
            }
        }
        lines.append(#"{"session":"\#(sessions[0])","seq":99,"events":2,"sha256":"\#(String(repeating: "0", count: 64))"}"#)
        let expectPath = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("expect") + ".jsonl").path
        try lines.joined(separator: "\n").write(toFile: expectPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: expectPath) }
        let expected = try Self.audit("--campaign \(id) --no-kafka --expect '\(expectPath)' --json", environment: environment)
        #expect(expected.status == 1, "\(expected.output.suffix(2000))")
        let expectedSummary = try #require(expected.objects.last)
        #expect(expectedSummary["expected"] as? Int == 5 * seqs.count + 1)
        #expect(expectedSummary["expected_missing"] as? Int == 1)
        #expect(expected.objects.contains { $0["session"] as? String == sessions[0] && $0["expected_missing"] as? [Int] == [99] })

        // An object lost behind the pipeline's back is missing.
        let victim = sessions[1]
        let objects = try await ProcessorStack.s3Client().listObjects(prefix: "sessions/\(id)/\(victim)/").collect()
        try #require(!objects.isEmpty)
        for object in objects { try await ProcessorStack.s3Client().deleteObject(key: object.key) }
        let lossy = try Self.audit("--campaign \(id) --json", environment: environment)
        #expect(lossy.status == 1, "\(lossy.output.suffix(2000))")
        #expect(lossy.objects.last?["missing"] as? Int == seqs.count)
        #expect(lossy.objects.contains { $0["session"] as? String == victim && $0["missing"] as? [Int] == Array(seqs) })
    }

    static func audit(_ arguments: String, environment: [String: String]) throws -> (status: Int32, output: String, objects: [[String: Any]]) {
        let exports = environment.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        let result = try shell("env \(exports) '\(ReplaydProcess.binary)' audit \(arguments)")
        let objects = result.output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        return (result.status, result.output, objects)
    }

    @Test("a different batch under a known (session, seq) is stored beside the first; an identical redelivery is not")
    func conflictingBatchesAreKept() async throws {
        try await ProcessorStack.withCampaign { _, campaign in
            try await ProcessorStack.withTopics(partitions: 2) { topic, deadLetters in
                let group = TestStack.uniqueName("conflict-group")
                let sessions = (0..<10).map { "tab\($0)-\(UInt16.random(in: 0...UInt16.max))" }
                let spool = ProcessorStack.spoolDirectory()
                defer { try? FileManager.default.removeItem(atPath: spool) }
                let port = try TestStack.freePort()
                let receivedAt = ProcessorIntegrationTests.receivedAt
                var messages = ProcessorIntegrationTests.batches(topic: topic, campaign: campaign.id, sessions: sessions, seqs: 0..<3)
                // Half the sessions get a second tab's batch under seq 1 (other events, same session
                // and seq); every session's seq 2 is delivered twice with the same bytes.
                for session in sessions.prefix(5) {
                    let events = ProcessorFixtures.events(seq: 1, at: receivedAt.addingTimeInterval(1), session: session + " other tab")
                    let body = #"{"key":"\#(ProcessorFixtures.publicKey)","session":"\#(session)","seq":1,"events":\#(events)}"#
                    messages.append(KafkaOutgoingMessage(topic: topic, key: Array(session.utf8), value: Array(body.utf8),
                                                         headers: ProcessorFixtures.headers(campaign: campaign.id, session: session, seq: 1, receivedAt: receivedAt)))
                }
                for session in sessions {
                    messages.append(ProcessorFixtures.outgoing(topic: topic, campaign: campaign.id, session: session, seq: 2, receivedAt: receivedAt))
                }
                let processor = try ReplaydProcess.start("processor", port: port, environment: Self.environment(
                    topic: topic, deadLetters: deadLetters, group: group, spool: spool, instance: "c", idle: "3s", commitMaxDelay: "5m"))
                defer { processor.crash() }
                let ends = try await ProcessorStack.produce(messages)
                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(90)), "\(processor.log.suffix(1500))")
                #expect(try ProcessorS3OutageTests.metric("replayd_processor_records_total{result=\"conflict\"}", port: processor.adminPort) == 5)
                #expect(try ProcessorS3OutageTests.metric("replayd_processor_records_total{result=\"duplicate\"}", port: processor.adminPort) == 10)
                // Lag comes from the consumer's own fetch state (reported every 10 s): 0 on both partitions.
                var lagLines: [Substring] = []
                let lagDeadline = ContinuousClock.now + .seconds(25)
                while lagLines.count < 2, ContinuousClock.now < lagDeadline {
                    try await Task.sleep(for: .seconds(1))
                    lagLines = try shell("curl -s http://127.0.0.1:\(processor.adminPort)/metrics").output.split(separator: "\n")
                        .filter { $0.hasPrefix("replayd_processor_lag{") && $0.contains(topic) }
                }
                #expect(lagLines.count == 2 && lagLines.allSatisfy { $0.hasSuffix(" 0") || $0.hasSuffix(" 0.0") }, "\(lagLines)")
                processor.stop()

                let environment = ["REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_KAFKA_DLQ_TOPIC": deadLetters, "REPLAYD_LOG_LEVEL": "error"]
                let audit = try Self.audit("--campaign \(campaign.id.uuidString.lowercased()) --json", environment: environment)
                #expect(audit.status == 0, "\(audit.output.suffix(2000))")
                let summary = try #require(audit.objects.last, "\(audit.output.suffix(2000))")
                #expect(summary["missing"] as? Int == 0, "both copies of every conflicting seq are in S3")
                #expect(summary["kafka_batches"] as? Int == 35)
                #expect(summary["s3_batches"] as? Int == 35)
                #expect(summary["conflicting"] as? Int == 5)
                #expect(summary["duplicated"] as? Int == 0, "the identical redeliveries were not stored again")
                for session in sessions.prefix(5) {
                    #expect(audit.objects.contains { $0["session"] as? String == session && $0["conflicting"] as? [Int] == [1] })
                }
                await ProcessorStack.deleteOutput(prefix: "sessions/\(campaign.id.uuidString.lowercased())/")
            }
        }
    }

    @Test("REPLAYD_COMMIT_MAX_DELAY closes a segment that holds back the commit while its session goes on")
    func commitMaxDelayBoundsTheHold() async throws {
        try await ProcessorStack.withCampaign { _, campaign in
            try await ProcessorStack.withTopics(partitions: 2) { topic, deadLetters in
                let group = TestStack.uniqueName("commit-delay-group")
                let sessions = (0..<20).map { "delay\($0)-\(UInt16.random(in: 0...UInt16.max))" }
                let spool = ProcessorStack.spoolDirectory()
                defer { try? FileManager.default.removeItem(atPath: spool) }
                let port = try TestStack.freePort()
                let processor = try ReplaydProcess.start("processor", port: port, environment: Self.environment(
                    topic: topic, deadLetters: deadLetters, group: group, spool: spool, instance: "d", idle: "10m", commitMaxDelay: "2s"))
                defer { processor.crash() }
                let ends = try await ProcessorStack.produce(ProcessorIntegrationTests.batches(
                    topic: topic, campaign: campaign.id, sessions: sessions, seqs: 0..<3))
                // Sessions idle for less than 10 minutes: only the commit delay uploads their segments.
                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(60)), "\(processor.log.suffix(1500))")
                let output = try await ProcessorStack.readOutput(prefix: "sessions/", campaign: campaign.id)
                _ = ProcessorIntegrationTests.verify(output, sessions: sessions, seqs: 0..<3)
                let closed = try ProcessorS3OutageTests.metric("replayd_spool_segments_closed_total{reason=\"commit_delay\"}", port: processor.adminPort)
                #expect(closed >= Double(sessions.count), "segments closed for the commit delay: \(closed)")
                processor.stop()
                await ProcessorStack.deleteOutput(prefix: "sessions/\(campaign.id.uuidString.lowercased())/")
            }
        }
    }

    @Test("SIGTERM hands the partitions over: held segments are uploaded and committed before the processor leaves")
    func gracefulStopHandsOver() async throws {
        try await ProcessorStack.withCampaign { _, campaign in
            try await ProcessorStack.withTopics(partitions: 2) { topic, deadLetters in
                let group = TestStack.uniqueName("handover-group")
                let sessions = (0..<30).map { "hand\($0)-\(UInt16.random(in: 0...UInt16.max))" }
                let spool = ProcessorStack.spoolDirectory()
                defer { try? FileManager.default.removeItem(atPath: spool) }
                let port = try TestStack.freePort()
                let processor = try ReplaydProcess.start("processor", port: port, environment: Self.environment(
                    topic: topic, deadLetters: deadLetters, group: group, spool: spool, instance: "h", idle: "10m", commitMaxDelay: "10m"))
                defer { processor.crash() }
                let ends = try await ProcessorStack.produce(ProcessorIntegrationTests.batches(
                    topic: topic, campaign: campaign.id, sessions: sessions, seqs: 0..<4))
                let spooled = try await Self.waitSpooled(120, port: processor.adminPort)
                try #require(spooled >= 120, "spooled \(spooled): \(processor.log.suffix(1500))")
                #expect(!(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(1))))
                processor.stop()
                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(5)),
                        "committed by the time the processor left: \(processor.log.suffix(1500))")
                let output = try await ProcessorStack.readOutput(prefix: "sessions/", campaign: campaign.id)
                _ = ProcessorIntegrationTests.verify(output, sessions: sessions, seqs: 0..<4)
                await ProcessorStack.deleteOutput(prefix: "sessions/\(campaign.id.uuidString.lowercased())/")
            }
        }
    }
}
