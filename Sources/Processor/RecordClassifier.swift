import Core
import Foundation
import Kafka
import Uploader

/// Turns a consumed Kafka record into the ``SpoolRecord`` to store, or says why it is poison.
/// Pure (no I/O): whether the campaign exists is checked afterwards by ``CampaignDirectory``.
///
/// The record is what the Collector produced: key = session id, value = the batch JSON body,
/// headers ``BatchHeaders``.
public enum RecordClassifier {
    /// The classified record: its campaign and what goes into the spool.
    public struct Classified: Sendable {
        public var campaignID: UUID
        public var record: SpoolRecord
    }

    public typealias Outcome = Result<Classified, ProcessingFailure>

    public static func classify(_ message: KafkaMessage, limits: BatchLimits = BatchLimits()) -> Outcome {
        let headers = BatchHeaders.decode(message.headers.wire)
        guard let campaignText = headers.campaign else {
            return .failure(.poison(.missingCampaign, "the record has no campaign header"))
        }
        guard let campaignID = headers.campaignID else {
            return .failure(.poison(.missingCampaign, "the campaign header \(campaignText.prefix(64)) is not a UUID"))
        }
        // Timestamps are checked against when the Collector accepted the batch (so replays days
        // later still pass): the `received-at` header, else the record's timestamp, else now.
        let receivedAt = headers.receivedAtDate ?? message.timestamp ?? Date()
        let batch: ValidatedBatch
        do {
            batch = try BatchValidator.validate(message.value, now: receivedAt, limits: limits, observeActivity: true)
        } catch {
            return .failure(ProcessingFailure.classify(error))
        }
        if let session = headers.session, session != batch.session {
            return .failure(.poison(.invalidBatch, "the session header does not match the body's session \(batch.session)"))
        }
        if let seq = headers.seq, seq != String(batch.seq) {
            return .failure(.poison(.invalidBatch, "the seq header does not match the body's seq \(batch.seq)"))
        }
        let record = SpoolRecord(
            campaignID: campaignID, session: batch.session, seq: batch.seq, eventCount: batch.eventCount,
            firstTimestamp: batch.firstTimestamp, lastTimestamp: batch.lastTimestamp, pageURL: batch.pageURL,
            events: Array(message.value[batch.eventsRange]), activity: batch.activity, userAgent: headers.userAgent)
        return .success(Classified(campaignID: campaignID, record: record))
    }
}
