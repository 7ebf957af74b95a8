import Core
import Foundation

/// What is known about a segment's content: stored as S3 object metadata and in the `segments` table.
public struct SegmentMetadata: Sendable, Equatable {
    public var firstSeq: Int
    public var lastSeq: Int
    /// Milliseconds since the epoch.
    public var firstTimestamp: Double
    public var lastTimestamp: Double
    public var eventCount: Int
    /// Batches (lines) in the segment.
    public var batchCount: Int
    /// The first page URL seen in the segment.
    public var pageURL: String?
    /// The session's activity over the segment's batches (for a segment recovered from a file of a
    /// previous run, read again from its lines; what carried across from earlier segments is lost).
    public var summary: ActivitySummary?
    /// The first `User-Agent` of the segment's batches.
    public var userAgent: String?
    /// Its lines were written with ascending seqs, each once (playback streams such a segment as it
    /// decompresses). False when unknown (a segment recovered from a file of a previous run).
    public var ordered = false

    public init(firstSeq: Int, lastSeq: Int, firstTimestamp: Double, lastTimestamp: Double, eventCount: Int, batchCount: Int, pageURL: String?) {
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.eventCount = eventCount
        self.batchCount = batchCount
        self.pageURL = pageURL
    }

    /// Metadata of a segment holding just `record`.
    init(first record: SpoolRecord) {
        self.init(firstSeq: record.seq, lastSeq: record.seq, firstTimestamp: record.firstTimestamp,
                  lastTimestamp: record.lastTimestamp, eventCount: record.eventCount, batchCount: 1, pageURL: record.pageURL)
        userAgent = record.userAgent
        ordered = true
    }

    mutating func add(_ record: SpoolRecord) {
        if record.seq <= lastSeq { ordered = false }
        firstSeq = min(firstSeq, record.seq)
        lastSeq = max(lastSeq, record.seq)
        firstTimestamp = min(firstTimestamp, record.firstTimestamp)
        lastTimestamp = max(lastTimestamp, record.lastTimestamp)
        eventCount += record.eventCount
        batchCount += 1
        if pageURL == nil { pageURL = record.pageURL }
        if userAgent == nil { userAgent = record.userAgent }
    }
}

/// Why a segment was closed (the `reason` label of `replayd_spool_segments_closed_total`).
enum SegmentCloseReason: String, Sendable {
    case idle, size, age, shutdown
    /// It held back its partition's commit for ``SpoolConfiguration/commitMaxDelay``.
    case commitDelay = "commit_delay"
    /// Its partitions are being handed over (revocation, shutdown).
    case handover
}

/// A finished segment file waiting for upload.
public struct ClosedSegment: Sendable, Equatable {
    public var campaignID: UUID
    public var session: String
    public var segmentID: UUID
    public var path: String
    /// Compressed size when it was closed.
    public var bytes: Int64
    /// Known for segments closed by this process; nil for files found at start-up (recovery derives
    /// it from the file's lines before upload).
    public var metadata: SegmentMetadata?
    /// Per source, the lowest log offset of a batch in this segment: the spool's commit holds,
    /// released once the segment is in S3.
    public var holds: [SpoolSource: Int64] = [:]
}
