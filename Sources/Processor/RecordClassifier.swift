import Core
import Foundation
import Kafka
import Uploader

/// Turns a consumed Kafka record into the ``SpoolRecord`` to store, or says why it is poison.
/// Pure (no I/O): whether the campaign exists is checked afterwards by ``CampaignDirectory``.
///
/// The record is what the Collector produced: key = session id, value = the batch JSON body,
/// headers `campaign` (UUID), `session`, `seq`, `received-at` (ms since 1970), …
public enum RecordClassifier {
    /// The classified record: its campaign and what goes into the spool.
    public struct Classified: Sendable {
        public var campaignID: UUID
        public var record: SpoolRecord
    }

    public static func classify(_ message: KafkaMessage, limits: BatchLimits = BatchLimits()) -> Result<Classified, ProcessingFailure> {
        guard let campaignText = message.header("campaign").map({ String(decoding: $0, as: UTF8.self) }) else {
            return .failure(.poison(.missingCampaign, "the record has no campaign header"))
        }
        guard let campaignID = UUID(uuidString: campaignText) else {
            return .failure(.poison(.missingCampaign, "the campaign header \(campaignText.prefix(64)) is not a UUID"))
        }
        let receivedAt = receivedAt(message)
        let batch: ValidatedBatch
        do {
            batch = try BatchValidator.validate(message.value, now: receivedAt, limits: limits)
        } catch {
            return .failure(ProcessingFailure.classify(error))
        }
        if let session = message.header("session"), String(decoding: session, as: UTF8.self) != batch.session {
            return .failure(.poison(.invalidBatch, "the session header does not match the body's session \(batch.session)"))
        }
        if let seq = message.header("seq"), String(decoding: seq, as: UTF8.self) != String(batch.seq) {
            return .failure(.poison(.invalidBatch, "the seq header does not match the body's seq \(batch.seq)"))
        }
        let record = SpoolRecord(
            campaignID: campaignID, session: batch.session, seq: batch.seq, eventCount: batch.eventCount,
            firstTimestamp: batch.firstTimestamp, lastTimestamp: batch.lastTimestamp, pageURL: batch.pageURL,
            events: Array(message.value[batch.eventsRange]))
        return .success(Classified(campaignID: campaignID, record: record))
    }

    /// When the Collector accepted the batch: the `received-at` header, else the record's timestamp,
    /// else now.
    public static func receivedAt(_ message: KafkaMessage) -> Date {
        if let header = message.header("received-at"),
           let millis = Double(String(decoding: header, as: UTF8.self)), millis.isFinite
        {
            return Date(timeIntervalSince1970: millis / 1000)
        }
        return message.timestamp ?? Date()
    }
}
