import Core
import Foundation
import Kafka
import Processor
import Testing
import Uploader

@Suite struct RetryPolicyTests {
    @Test func ceilingDoublesUpToTheMaximum() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(500), maxDelay: .seconds(3))
        #expect(policy.ceiling(afterAttempts: 1) == .milliseconds(500))
        #expect(policy.ceiling(afterAttempts: 2) == .seconds(1))
        #expect(policy.ceiling(afterAttempts: 3) == .seconds(2))
        #expect(policy.ceiling(afterAttempts: 4) == .seconds(3))
        #expect(policy.ceiling(afterAttempts: 1000) == .seconds(3))
    }

    @Test func delaysAreJitteredWithinTheCeiling() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .seconds(30))
        var generator = SystemRandomNumberGenerator()
        let delays = (0..<500).map { _ in policy.delay(afterAttempts: 3, using: &generator) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(400) })
        #expect(Set(delays).count > 400, "full jitter spreads the delays")
        #expect(delays.contains { $0 < .milliseconds(200) } && delays.contains { $0 > .milliseconds(200) })
    }

    @Test func attemptsAreCounted() {
        let policy = RetryPolicy(maxAttempts: 3)
        #expect(policy.shouldRetry(afterAttempts: 1))
        #expect(policy.shouldRetry(afterAttempts: 2))
        #expect(!policy.shouldRetry(afterAttempts: 3))
    }
}

@Suite struct RecordClassifierTests {
    let campaign = UUID()

    @Test func acceptsACollectorRecord() throws {
        let received = Date(timeIntervalSince1970: 1_700_000_000)
        let message = ProcessorFixtures.message(campaign: campaign, session: "s-1", seq: 7, receivedAt: received)
        let classified = try RecordClassifier.classify(message).get()
        #expect(classified.campaignID == campaign)
        #expect(classified.record.session == "s-1")
        #expect(classified.record.seq == 7)
        #expect(classified.record.eventCount == 2)
        #expect(classified.record.pageURL == "https://example.com/a")
        #expect(String(decoding: classified.record.events, as: UTF8.self) == ProcessorFixtures.events(seq: 7, at: received, session: "s-1"))
    }

    @Test func oldRecordsValidateAgainstTheirReceivedAtHeader() throws {
        // Ten days old: outside the ±7-day skew from now, inside it from received-at.
        let received = Date().addingTimeInterval(-10 * 86_400)
        let message = ProcessorFixtures.message(campaign: campaign, session: "old", seq: 1, receivedAt: received)
        #expect(throws: Never.self) { try RecordClassifier.classify(message).get() }
        let validatedNow = Result { try BatchValidator.validate(Data(message.value), now: Date()) }
        #expect((try? validatedNow.get()) == nil)
    }

    @Test func poisonReasons() {
        func reason(_ message: KafkaMessage) -> DeadLetterReason? {
            if case .failure(let failure) = RecordClassifier.classify(message), case .poison(let reason) = failure.kind { return reason }
            return nil
        }
        var message = ProcessorFixtures.message(campaign: campaign, session: "s", seq: 1)
        message.headers.removeAll { $0.key == "campaign" }
        #expect(reason(message) == .missingCampaign)
        message.headers.append(KafkaHeader(key: "campaign", value: Array("not-a-uuid".utf8)))
        #expect(reason(message) == .missingCampaign)

        var garbage = ProcessorFixtures.message(campaign: campaign, session: "s", seq: 1)
        garbage.value = Array("{not json".utf8)
        #expect(reason(garbage) == .undecodable)

        var invalid = ProcessorFixtures.message(campaign: campaign, session: "s", seq: 1)
        invalid.value = Array(String(decoding: invalid.value, as: UTF8.self).replacingOccurrences(of: "\"type\":3", with: "\"type\":-3").utf8)
        #expect(reason(invalid) == .invalidBatch)

        var mismatch = ProcessorFixtures.message(campaign: campaign, session: "s", seq: 1)
        mismatch.headers.removeAll { $0.key == "seq" }
        mismatch.headers.append(KafkaHeader(key: "seq", value: Array("2".utf8)))
        #expect(reason(mismatch) == .invalidBatch)
    }
}

@Suite struct DeadLetterRecordTests {
    @Test func headersRoundTrip() throws {
        let original = ProcessorFixtures.message(campaign: UUID(), session: "s-9", seq: 3, topic: "t", partition: 2, offset: 41)
        let first = Date(timeIntervalSince1970: 1_700_000_000.123)
        let last = Date(timeIntervalSince1970: 1_700_000_010.456)
        let failure = ProcessingFailure(kind: .transient, code: "spool_io", message: "disk full", errorClass: "SpoolError")
        let record = DeadLetterRecord(original: original, failure: failure, attempts: 5, firstFailure: first, lastFailure: last, instance: "host-1")
        let outgoing = record.outgoing(topic: "t.dlq")
        #expect(outgoing.topic == "t.dlq")
        #expect(outgoing.key == original.key)
        #expect(outgoing.value == original.value)
        func header(_ name: String) -> String? {
            outgoing.headers.first { $0.key == name }.map { String(decoding: $0.value, as: UTF8.self) }
        }
        #expect(header("dlq-reason") == "retries_exhausted")
        #expect(header("dlq-message") == "disk full")
        #expect(header("dlq-error-class") == "SpoolError")
        #expect(header("dlq-attempts") == "5")
        #expect(header("dlq-first-failure") == "1700000000123")
        #expect(header("dlq-last-failure") == "1700000010456")
        #expect(header("dlq-source-topic") == "t")
        #expect(header("dlq-source-partition") == "2")
        #expect(header("dlq-source-offset") == "41")
        #expect(header("dlq-instance") == "host-1")
        for originalHeader in original.headers { #expect(outgoing.headers.contains(originalHeader)) }

        let consumed = KafkaMessage(topic: "t.dlq", partition: 0, offset: 0, key: outgoing.key, value: outgoing.value, headers: outgoing.headers)
        let parsed = try #require(DeadLetterRecord(consumed))
        #expect(parsed.reason == .retriesExhausted)
        #expect(parsed.attempts == 5)
        #expect(parsed.session == "s-9")
        #expect(parsed.originalHeaders == original.headers)
        let replay = parsed.replay(topic: "t")
        #expect(replay.headers == original.headers)
        #expect(replay.key == original.key && replay.value == original.value)
        #expect(DeadLetterRecord(original) == nil)
    }

    @Test func filters() {
        let original = ProcessorFixtures.message(campaign: UUID(), session: "abc", seq: 3)
        let record = DeadLetterRecord(original: original, failure: .poison(.invalidBatch, "x"), attempts: 1,
                                      firstFailure: Date(timeIntervalSince1970: 100), lastFailure: Date(timeIntervalSince1970: 200), instance: "i")
        #expect(DeadLetterFilter().matches(record))
        #expect(DeadLetterFilter(reason: "invalid_batch", session: "abc").matches(record))
        #expect(!DeadLetterFilter(reason: "unknown_campaign").matches(record))
        #expect(!DeadLetterFilter(session: "abd").matches(record))
        #expect(DeadLetterFilter(since: Date(timeIntervalSince1970: 200)).matches(record))
        #expect(!DeadLetterFilter(since: Date(timeIntervalSince1970: 201)).matches(record))
    }

    @Test func classification() {
        #expect(ProcessingFailure.classify(ProcessorError(code: "x", message: "y")).isTransient)
        let failure = ProcessingFailure.classify(CocoaError(.fileWriteOutOfSpace))
        #expect(failure.isTransient)
    }
}
