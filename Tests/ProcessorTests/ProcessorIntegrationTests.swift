import Core
import Database
import Foundation
import Kafka
import PostgresNIO
import Processor
import Testing
import TestSupport
import Uploader

/// Against the real broker, PostgreSQL, spool and S3. Serialized: they are heavy for 2 cores.
@Suite(.serialized) struct ProcessorIntegrationTests {
    static let receivedAt = Date()

    static func batches(topic: String, campaign: UUID, sessions: [String], seqs: Range<Int>) -> [KafkaOutgoingMessage] {
        // Seq-major, so each session's batches are produced (and land in its partition) in order.
        seqs.flatMap { seq in
            sessions.map { ProcessorFixtures.outgoing(topic: topic, campaign: campaign, session: $0, seq: seq, receivedAt: receivedAt) }
        }
    }

    /// Checks that every session's output, de-duplicated across segments as playback does, equals
    /// its input in seq order, and that no segment repeats a seq. Returns the cross-segment repeats.
    static func verify(_ output: [String: [[ProcessorStack.Line]]], sessions: [String], seqs: Range<Int>) -> Int {
        #expect(Set(output.keys) == Set(sessions), "sessions in the output")
        var repeats = 0
        var mismatched = 0
        for session in sessions {
            let segments = output[session] ?? []
            var merged: [Int: String] = [:]
            for lines in segments {
                let seqsInSegment = lines.map(\.seq)
                if seqsInSegment != seqsInSegment.sorted() || Set(seqsInSegment).count != seqsInSegment.count {
                    Issue.record("segment of \(session) has seqs \(seqsInSegment)")
                }
                for line in lines {
                    if let earlier = merged[line.seq] {
                        repeats += 1
                        if earlier != line.events { Issue.record("\(session) seq \(line.seq) differs between segments") }
                    }
                    merged[line.seq] = line.events
                }
            }
            let expected = Dictionary(uniqueKeysWithValues: seqs.map {
                ($0, ProcessorFixtures.events(seq: $0, at: receivedAt, session: session))
            })
            if merged != expected { mismatched += 1 }
        }
        #expect(mismatched == 0, "sessions whose output differs from their input")
        return repeats
    }

    @Test func twoProcessorsShareTheTopic() async throws {
        try await ProcessorStack.withCampaign { postgres, campaign in
            try await ProcessorStack.withTopics(partitions: 6) { topic, deadLetters in
                let group = TestStack.uniqueName("proc-group")
                let prefix = TestStack.uniqueName("proc-test") + "/"
                let sessions = (0..<2_000).map { "s\($0)-\(UInt16.random(in: 0...UInt16.max))" }
                let a = try ProcessorNode(configuration: ProcessorStack.configuration(topic: topic, deadLetters: deadLetters, group: group, instance: "a"), postgres: postgres, prefix: prefix)
                let b = try ProcessorNode(configuration: ProcessorStack.configuration(topic: topic, deadLetters: deadLetters, group: group, instance: "b"), postgres: postgres, prefix: prefix)
                #expect(try await a.waitAssigned())
                #expect(try await b.waitAssigned())
                let started = ContinuousClock.now
                let ends = try await ProcessorStack.produce(Self.batches(topic: topic, campaign: campaign.id, sessions: sessions, seqs: 0..<10))
                #expect(ends.values.reduce(0, +) == 20_000)
                let committed = try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(180))
                #expect(committed)
                print("20,000 batches produced and committed in \(ContinuousClock.now - started)")
                // Sharing is judged by the work done, not by who holds partitions at this instant.
                #expect(a.processor.recordsPolled > 0 && b.processor.recordsPolled > 0,
                        "both processors consumed: a \(a.processor.recordsPolled), b \(b.processor.recordsPolled)")
                try await a.stop()
                try await b.stop()
                try await ProcessorStack.shutdownAndUpload(a.spool, postgres: postgres, prefix: prefix)
                try await ProcessorStack.shutdownAndUpload(b.spool, postgres: postgres, prefix: prefix)
                let output = try await ProcessorStack.readOutput(prefix: prefix, campaign: campaign.id)
                let repeats = Self.verify(output, sessions: sessions, seqs: 0..<10)
                print("cross-segment repeats after the run: \(repeats)")
                await ProcessorStack.deleteOutput(prefix: prefix)
            }
        }
    }

    @Test func poisonRecordsAreDeadLetteredWithoutBlocking() async throws {
        try await ProcessorStack.withCampaign { postgres, campaign in
            try await ProcessorStack.withTopics(partitions: 2) { topic, deadLetters in
                let group = TestStack.uniqueName("proc-group")
                let prefix = TestStack.uniqueName("proc-test") + "/"
                let session = "poisoned-\(UInt32.random(in: 0...UInt32.max))"
                func good(_ seq: Int) -> KafkaOutgoingMessage {
                    ProcessorFixtures.outgoing(topic: topic, campaign: campaign.id, session: session, seq: seq, receivedAt: Self.receivedAt)
                }
                var undecodable = good(100)
                undecodable.value = Array("{\"key\": nope".utf8)
                var invalid = good(101)
                invalid.value = Array(String(decoding: invalid.value, as: UTF8.self).replacingOccurrences(of: "\"type\":3", with: "\"type\":-42").utf8)
                var missing = good(102)
                missing.headers.removeAll { $0.key == "campaign" }
                let unknownCampaign = UUID()
                let unknown = ProcessorFixtures.outgoing(topic: topic, campaign: unknownCampaign, session: session, seq: 103, receivedAt: Self.receivedAt)
                // Poison in between good records of the same session (same key, same partition).
                let messages = [good(0), undecodable, good(1), invalid, good(2), missing, good(3), unknown, good(4)]
                let ends = try await ProcessorStack.produce(messages)
                let node = try ProcessorNode(configuration: ProcessorStack.configuration(topic: topic, deadLetters: deadLetters, group: group, instance: "poison-test"), postgres: postgres, prefix: prefix)
                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(60)))
                try await node.stop()
                try await ProcessorStack.shutdownAndUpload(node.spool, postgres: postgres, prefix: prefix)
                let output = try await ProcessorStack.readOutput(prefix: prefix, campaign: campaign.id)
                #expect(output[session]?.flatMap { $0 }.map(\.seq) == [0, 1, 2, 3, 4], "each good batch once, in order")

                var letters: [KafkaMessage] = []
                try await DeadLetterReader(brokers: ProcessorStack.brokers, topic: deadLetters, logger: ProcessorStack.logger()).read { letters.append($0) }
                #expect(letters.count == 4)
                let records = letters.compactMap(DeadLetterRecord.init)
                #expect(records.map(\.reason) == [.undecodable, .invalidBatch, .missingCampaign, .unknownCampaign])
                let partition = try #require(ends.keys.first)
                for (record, original) in zip(records, [undecodable, invalid, missing, unknown]) {
                    #expect(record.key == original.key)
                    #expect(record.value == original.value)
                    #expect(record.originalHeaders == original.headers)
                    #expect(record.attempts == 1)
                    #expect(record.sourceTopic == topic)
                    #expect(record.sourcePartition == partition)
                    #expect(record.instance == "poison-test")
                    #expect(!record.message.isEmpty && !record.errorClass.isEmpty)
                    #expect(record.firstFailure <= record.lastFailure)
                }
                #expect(records.map(\.sourceOffset) == [1, 3, 5, 7])
                #expect(records[1].errorClass == "BatchValidationError")
                await ProcessorStack.deleteOutput(prefix: prefix)
            }
        }
    }

    @Test func replayingFixedDeadLettersLandsThemExactlyOnce() async throws {
        try await ProcessorStack.withCampaign { postgres, campaign in
            try await ProcessorStack.withTopics(partitions: 2) { topic, deadLetters in
                let group = TestStack.uniqueName("proc-group")
                let prefix = TestStack.uniqueName("proc-test") + "/"
                let lateCampaign = UUID()
                let sessions = (0..<5).map { "late\($0)-\(UInt16.random(in: 0...UInt16.max))" }
                let late = sessions.flatMap { session in
                    (0..<4).map { ProcessorFixtures.outgoing(topic: topic, campaign: lateCampaign, session: session, seq: $0, receivedAt: Self.receivedAt) }
                }
                let other = ProcessorFixtures.outgoing(topic: topic, campaign: campaign.id, session: "ok-\(UInt16.random(in: 0...UInt16.max))", seq: 0, receivedAt: Self.receivedAt)
                var invalid = other
                invalid.value = Array("[]".utf8)
                let ends = try await ProcessorStack.produce(late + [other, invalid])
                let configuration = ProcessorStack.configuration(topic: topic, deadLetters: deadLetters, group: group, instance: "replay-test")
                let node = try ProcessorNode(configuration: configuration, postgres: postgres, prefix: prefix)
                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(60)))

                let reader = DeadLetterReader(brokers: ProcessorStack.brokers, topic: deadLetters, logger: ProcessorStack.logger())
                let inspection = try await DeadLetterInspector(reader: reader, sampleSize: 3).inspect()
                #expect(inspection.total == 21)
                #expect(inspection.byReason == ["unknown_campaign": 20, "undecodable": 1])
                #expect(inspection.byCampaign[lateCampaign.uuidString.lowercased()] == 20)
                #expect(inspection.sample.count == 3)
                #expect(inspection.oldest != nil && inspection.oldest! <= inspection.newest!)

                // The fix: the campaign is created after the fact, with the id the records carry.
                try await postgres.query(
                    "INSERT INTO campaigns (id, name, public_key) VALUES (\(lateCampaign), \(TestStack.uniqueName("late")), \("pk_late" + String(UInt64.random(in: 0...UInt64.max))))",
                    logger: ProcessorStack.logger())
                try await Task.sleep(for: .seconds(1))

                let topicReader = DeadLetterReader(brokers: ProcessorStack.brokers, topic: topic, logger: ProcessorStack.logger())
                let before = try await topicReader.read { _ in }
                let replayer = DeadLetterReplayer(reader: reader, targetTopic: topic,
                                                  producerConfiguration: KafkaProducerConfiguration(bootstrapServers: ProcessorStack.brokers))
                let filter = DeadLetterFilter(reason: "unknown_campaign", since: Date().addingTimeInterval(-600))
                let dryRun = try await replayer.replay(filter, dryRun: true, logger: ProcessorStack.logger())
                #expect(dryRun.matched == 20 && dryRun.replayed == 0 && dryRun.scanned == 21)
                #expect(try await topicReader.read { _ in } == before, "a dry run produces nothing")

                let calls = Counter()
                let first = try await replayer.replay(filter, dryRun: false, logger: ProcessorStack.logger()) { _ in calls.increment() }
                #expect(first.matched == 20 && first.replayed == 20 && first.failed == 0)
                #expect(calls.value >= 21, "progress is reported")
                let second = try await replayer.replay(DeadLetterFilter(session: sessions[0]), dryRun: false, logger: ProcessorStack.logger())
                #expect(second.replayed == 4, "replaying again is harmless")

                var newEnds: [Int32: Int64] = [:]
                let after = try await topicReader.read { message in
                    newEnds[message.partition] = max(newEnds[message.partition] ?? 0, message.offset + 1)
                }
                #expect(after == before + 24)
                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: newEnds, timeout: .seconds(60)))
                try await node.stop()
                try await ProcessorStack.shutdownAndUpload(node.spool, postgres: postgres, prefix: prefix)
                let output = try await ProcessorStack.readOutput(prefix: prefix, campaign: lateCampaign)
                #expect(Set(output.keys) == Set(sessions))
                for session in sessions {
                    // The uploader runs beside the processor, so a replay that comes after a session's
                    // segment was uploaded lands in a second segment: exactly once is what playback
                    // reads (each segment in order, repeats identical and removed by seq).
                    let segments = output[session] ?? []
                    for lines in segments { #expect(lines.map(\.seq) == lines.map(\.seq).sorted() && Set(lines.map(\.seq)).count == lines.count) }
                    var merged: [Int: String] = [:]
                    for line in segments.joined() {
                        if let earlier = merged[line.seq] { #expect(earlier == line.events, "\(session) seq \(line.seq) differs between copies") }
                        merged[line.seq] = line.events
                    }
                    #expect(merged.keys.sorted() == [0, 1, 2, 3], "\(session) exactly once, in order")
                }
                let afterReplay = try await DeadLetterInspector(reader: reader).inspect()
                #expect(afterReplay.total == 21, "the dead-letter topic keeps what it holds")
                await ProcessorStack.deleteOutput(prefix: prefix)
            }
        }
    }
}

/// Counts progress callbacks from any thread.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

import Synchronization
