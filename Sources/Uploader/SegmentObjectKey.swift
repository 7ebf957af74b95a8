import Foundation
import S3

/// Where a segment is stored in S3, and what travels with it.
///
/// **Key layout**
///
///     <prefix><campaign_id>/<session_id>/<first_seq, 12 digits>-<segment_id>.jsonl.gz
///     e.g. sessions/6f1c…-…/s_8Jk2/000000000042-3b0e9c1a-….jsonl.gz
///
/// - `prefix` is ``SegmentUploaderConfiguration/keyPrefix`` (default `sessions/`).
/// - `campaign_id` is the lower-case UUID; `session_id` is the session id as sent (valid ids are
///   `A–Z a–z 0–9 _ -`; anything else is percent-encoded, so a key never gains a `/` or `.`).
/// - `first_seq` zero-padded to 12 digits makes a plain listing of a session's prefix return its
///   segments in sequence order; `segment_id` is a random UUID chosen when the segment was opened,
///   so two Processors (or one before and after a rebalance) that spool the same session never write
///   the same key. Re-uploading one segment (after a crash between upload and local delete) writes
///   the same key with the same bytes: idempotent.
/// - Readers list the session prefix, read segments in key order and drop lines whose `seq` they
///   have already seen (redelivered batches may appear in two segments).
///
/// **Object**: the gzip file as is (`Content-Type: application/x-ndjson`, no `Content-Encoding`);
/// decompressed, one line per batch: `{"seq":<seq>,"events":[…rrweb events…]}`.
///
/// **Metadata** (`x-amz-meta-*`, non-ASCII percent-encoded by the S3 module): `campaign`, `session`,
/// `segment`, `first-seq`, `last-seq`, `first-ts`, `last-ts` (ms since the epoch), `events`,
/// `batches`, `page-url` (when known; it comes from the client, so it is cut to what fits S3's 2 KB
/// metadata limit, at most 1024 characters).
///
/// **Index**: each uploaded segment is a row in `segments` (key, seqs, timestamps, counts, bytes) and
/// is added to its `sessions` row (started/ended, totals, first URL), so playback finds a campaign's
/// sessions by time and a session's segments without listing S3.
public enum SegmentObjectKey {
    public static let contentType = "application/x-ndjson"

    /// The object key of a segment.
    public static func make(prefix: String, campaignID: UUID, session: String, firstSeq: Int, segmentID: UUID) -> String {
        let seq = String(max(0, firstSeq)).leftPadded(to: 12)
        return "\(prefix)\(campaignID.uuidString.lowercased())/\(SegmentFileName.escape(session))/\(seq)-\(segmentID.uuidString.lowercased()).jsonl.gz"
    }

    /// The key prefix of all of a session's segments.
    public static func sessionPrefix(prefix: String, campaignID: UUID, session: String) -> String {
        "\(prefix)\(campaignID.uuidString.lowercased())/\(SegmentFileName.escape(session))/"
    }

    static func metadata(_ segment: ClosedSegment, _ metadata: SegmentMetadata) -> [String: String] {
        var values = [
            "campaign": segment.campaignID.uuidString.lowercased(),
            "session": segment.session,
            "segment": segment.segmentID.uuidString.lowercased(),
            "first-seq": String(metadata.firstSeq),
            "last-seq": String(metadata.lastSeq),
            "first-ts": format(metadata.firstTimestamp),
            "last-ts": format(metadata.lastTimestamp),
            "events": String(metadata.eventCount),
            "batches": String(metadata.batchCount),
        ]
        if let url = metadata.pageURL {
            let budget = S3Metadata.sizeLimit - S3Metadata.size(values) - "page-url".utf8.count
            let fitted = S3Metadata.truncate(String(url.prefix(1024)), toEncodedBytes: max(0, budget))
            if !fitted.isEmpty { values["page-url"] = fitted }
        }
        return values
    }

    static func format(_ milliseconds: Double) -> String {
        milliseconds == milliseconds.rounded() && abs(milliseconds) < 1e15 ? String(Int64(milliseconds)) : String(milliseconds)
    }
}
