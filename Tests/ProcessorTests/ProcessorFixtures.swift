import Core
import Foundation
import Kafka

/// Builds records the way the Collector produces them.
enum ProcessorFixtures {
    static let publicKey = "pk_processortests0001"

    static func events(seq: Int, at date: Date, session: String = "") -> String {
        let millis = Int64(date.timeIntervalSince1970 * 1000)
        return #"[{"type":3,"data":{"source":2,"text":"\#(session) seq \#(seq) \"q\" [x]"},"timestamp":\#(millis)},{"type":3,"data":{"source":1,"positions":[{"x":\#(seq),"y":1}]},"timestamp":\#(millis + 5)}]"#
    }

    static func body(session: String, seq: Int, receivedAt: Date) -> String {
        #"{"key":"\#(publicKey)","session":"\#(session)","seq":\#(seq),"events":\#(events(seq: seq, at: receivedAt, session: session)),"page":{"url":"https://example.com/a"}}"#
    }

    static func headers(campaign: UUID, session: String, seq: Int, receivedAt: Date) -> [KafkaHeader] {
        [KafkaHeader](wire: BatchHeaders(campaignID: campaign, session: session, seq: seq, eventCount: 2, receivedAt: receivedAt).encoded())
    }

    static func message(campaign: UUID, session: String, seq: Int, receivedAt: Date = Date(), topic: String = "replay.batches",
                        partition: Int32 = 0, offset: Int64 = 0) -> KafkaMessage {
        KafkaMessage(topic: topic, partition: partition, offset: offset, key: Array(session.utf8),
                     value: Array(body(session: session, seq: seq, receivedAt: receivedAt).utf8),
                     headers: headers(campaign: campaign, session: session, seq: seq, receivedAt: receivedAt))
    }

    static func outgoing(topic: String, campaign: UUID, session: String, seq: Int, receivedAt: Date = Date()) -> KafkaOutgoingMessage {
        let message = message(campaign: campaign, session: session, seq: seq, receivedAt: receivedAt)
        return KafkaOutgoingMessage(topic: topic, key: message.key, value: message.value, headers: message.headers)
    }
}
