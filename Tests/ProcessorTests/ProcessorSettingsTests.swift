import Core
import Foundation
import Kafka
import TestSupport
import Testing

/// Settings the Collector and the Processor share reach both: a real `replayd processor` started with
/// raised batch limits keeps batches the Collector (with the same settings) accepted.
@Suite("replayd processor honours the shared batch limits", .serialized)
struct ProcessorSettingsTests {
    /// A batch as the Collector produces it, with `events` click events at `eventTime`, accepted at `receivedAt`.
    static func outgoing(topic: String, campaign: UUID, session: String, seq: Int, events: Int, eventTime: Date, receivedAt: Date) -> KafkaOutgoingMessage {
        let millis = Int64(eventTime.timeIntervalSince1970 * 1000)
        let list = (0..<events).map { #"{"type":3,"data":{"source":2,"type":2,"id":\#($0)},"timestamp":\#(millis + Int64($0))}"# }
        let body = #"{"key":"\#(ProcessorFixtures.publicKey)","session":"\#(session)","seq":\#(seq),"events":[\#(list.joined(separator: ","))]}"#
        let headers = BatchHeaders(campaignID: campaign, session: session, seq: seq, eventCount: events, receivedAt: receivedAt)
        return KafkaOutgoingMessage(topic: topic, key: Array(session.utf8), value: Array(body.utf8), headers: [KafkaHeader](wire: headers.encoded()))
    }

    @Test("REPLAYD_MAX_EVENTS_PER_BATCH and REPLAYD_TIMESTAMP_SKEW raised: nothing accepted under them is dead-lettered")
    func raisedLimitsReachTheProcessor() async throws {
        try await ProcessorStack.withCampaign { _, campaign in
            try await ProcessorStack.withTopics(partitions: 1) { topic, deadLetters in
                let group = TestStack.uniqueName("settings-group")
                let now = Date()
                let messages = [
                    // Over the default 10,000 events per batch, within the raised 15,000.
                    Self.outgoing(topic: topic, campaign: campaign.id, session: "many-events", seq: 0, events: 12_000, eventTime: now, receivedAt: now),
                    // Events 10 days older than their acceptance: beyond the default 7-day skew, within 30 days.
                    Self.outgoing(topic: topic, campaign: campaign.id, session: "old-events", seq: 0, events: 3,
                                  eventTime: now.addingTimeInterval(-10 * 86_400), receivedAt: now),
                ]
                let port = try TestStack.freePort()
                let processor = try ReplaydProcess.start("processor", port: port, environment: [
                    "REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_KAFKA_DLQ_TOPIC": deadLetters, "REPLAYD_KAFKA_GROUP": group,
                    "REPLAYD_KAFKA_SESSION_TIMEOUT": "6s", "REPLAYD_SPOOL_DIR": ProcessorStack.spoolDirectory(),
                    "REPLAYD_SPOOL_IDLE_TIMEOUT": "1s", "REPLAYD_LOG_LEVEL": "warning",
                    "REPLAYD_MAX_EVENTS_PER_BATCH": "15000", "REPLAYD_TIMESTAMP_SKEW": "30d",
                ])
                defer { processor.stop() }
                let ends = try await ProcessorStack.produce(messages)
                #expect(try await ProcessorStack.waitCommitted(group: group, topic: topic, ends: ends, timeout: .seconds(60)))
                let deadLettered = try await ProcessorStack.admin.watermarks(topic: deadLetters, partition: 0).high
                let log = Self.log(processor)
                #expect(deadLettered == 0, "\(deadLettered) accepted batches were dead-lettered: \(log)")

                // Both sessions reach S3 whole.
                let deadline = ContinuousClock.now + .seconds(60)
                var output: [String: [[ProcessorStack.Line]]] = [:]
                repeat {
                    try await Task.sleep(for: .milliseconds(500))
                    output = try await ProcessorStack.readOutput(prefix: "sessions/", campaign: campaign.id)
                } while output.count < 2 && ContinuousClock.now < deadline
                #expect(Set(output.keys) == ["many-events", "old-events"])
                await ProcessorStack.deleteOutput(prefix: "sessions/\(campaign.id.uuidString.lowercased())/")
            }
        }
    }

    static func log(_ process: ReplaydProcess) -> String {
        String(((try? String(contentsOfFile: process.logPath, encoding: .utf8)) ?? "").suffix(2000))
    }
}
