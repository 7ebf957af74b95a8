import Core
import Foundation

/// One batch for the spool: a session's events with their sequence number.
///
/// `events` is the raw JSON array of the batch's rrweb events (the bytes of the `"events"` value).
/// It is stored as one ``SegmentLine``.
public struct SpoolRecord: Sendable {
    public var campaignID: UUID
    public var session: String
    public var seq: Int
    public var eventCount: Int
    /// Milliseconds since the epoch (rrweb `timestamp`) of the batch's first event.
    public var firstTimestamp: Double
    /// Milliseconds since the epoch of the batch's last event.
    public var lastTimestamp: Double
    public var pageURL: String?
    public var events: [UInt8]
    /// Where the batch was read from. While a segment holding it is not in S3, the spool holds this
    /// offset (``Spool/lowestHeldOffset(_:atLeast:)``) so that the log's commit does not pass it.
    public var origin: SpoolOrigin?
    /// What the events say about the visitor's activity (taken while validating), for the session's summary.
    public var activity: BatchActivity?
    /// The browser's `User-Agent` when the Collector accepted the batch.
    public var userAgent: String?

    public init(
        campaignID: UUID, session: String, seq: Int, eventCount: Int, firstTimestamp: Double,
        lastTimestamp: Double, pageURL: String?, events: [UInt8], origin: SpoolOrigin? = nil,
        activity: BatchActivity? = nil, userAgent: String? = nil
    ) {
        self.origin = origin
        self.activity = activity
        self.userAgent = userAgent
        self.campaignID = campaignID
        self.session = session
        self.seq = seq
        self.eventCount = eventCount
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.pageURL = pageURL
        self.events = events
    }
}

/// What ``Spool/write(_:)`` did with a record.
public enum SpoolAppendResult: Sendable, Equatable {
    /// The batch was added to the session's open segment.
    case appended
    /// The same bytes are already in this process's spool under this (session, seq) (a redelivery or a
    /// client's retry); nothing was written.
    case duplicate
    /// Other bytes are already stored under this (session, seq) (a copied tab, a reset counter, another
    /// client): the batch was written beside them, and playback shows both.
    case conflict
}

/// Identifies a ``Spool/write(_:)``; ``Spool/waitDurable(_:)`` returns once everything written up to
/// the ticket is on disk. Later tickets compare greater.
public struct SpoolTicket: Sendable, Comparable, Hashable {
    let value: UInt64

    public static func < (lhs: SpoolTicket, rhs: SpoolTicket) -> Bool { lhs.value < rhs.value }
}

/// A snapshot of the spool's state.
public struct SpoolStatistics: Sendable, Equatable {
    /// Segments accepting batches (one per live session that has written since its last close).
    public var openSegments: Int
    /// gzip compressors currently allocated (at most ``SpoolConfiguration/maxOpenSegments``).
    public var openCompressors: Int
    /// Sessions the spool tracks (for de-duplication and segment routing).
    public var liveSessions: Int
    /// Closed segments waiting for (or in) upload.
    public var closedSegments: Int
    /// Compressed bytes of open and closed segment files (approximate for open ones: output still
    /// in a compressor's buffer is not counted).
    public var bytesOnDisk: Int64
    /// Segments S3 refused permanently, kept in the quarantine directory.
    public var quarantinedSegments: Int = 0
    /// Log offsets held by segments not yet in S3 (one per segment and source).
    public var holds: Int = 0
}
