import Core
import Foundation
import Gzip

/// Identifies a session across campaigns.
struct SessionKey: Hashable, Sendable {
    var campaignID: UUID
    var session: String
}

/// The segment a session is writing to.
struct OpenSegment {
    let id: UUID
    let path: String
    let openedAt: ContinuousClock.Instant
    var lastAppendAt: ContinuousClock.Instant
    var metadata: SegmentMetadata
    /// Compressed bytes in the file as of the last write/flush/finish.
    var bytes: Int64
    /// Per source, the lowest log offset written to this segment (held in the ledger).
    var holds: [SpoolSource: Int64] = [:]
    /// When the first hold was taken (the segment closes ``SpoolConfiguration/commitMaxDelay`` later).
    var heldSince: ContinuousClock.Instant?
}

/// What the spool remembers about one live session.
struct SessionState {
    var batches = BatchDigests()
    /// The session's activity since its open segment started (and what carries across segments).
    var activity = SessionActivity()
    var segment: OpenSegment?
    var lastAppendAt: ContinuousClock.Instant?
}

/// Everything the ``Spool`` guards with its mutex. Not `Sendable` (it holds `GzipFileWriter`s);
/// it only ever lives inside `Mutex`.
struct SpoolState: ~Copyable {
    var sessions: [SessionKey: SessionState] = [:]
    /// Open compressors (at most `maxOpenSegments`) and when each was last used (for LRU eviction).
    var writers: [SessionKey: (writer: GzipFileWriter, lastUse: UInt64)] = [:]
    var useCounter: UInt64 = 0
    /// Compressors of finished writers, reused for the next ones (never more than
    /// `maxOpenSegments` exist at once, so memory stays flat however sessions come and go).
    var spareCompressors: [GzipCompressor] = []
    var openSegmentCount = 0

    /// Last ticket handed out / last ticket known durable.
    var issuedTicket: UInt64 = 0
    var durableTicket: UInt64 = 0
    /// Writers with compressed output not yet written to their file.
    var unflushed: Set<SessionKey> = []
    /// Files written since their last fsync.
    var dirtyPaths: Set<String> = []
    /// A file was created in the spool directory since the directory's last fsync.
    var directoryDirty = false
    var waiters: [(ticket: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    var syncRequested = false

    /// Closed segments by path, in closing order, and which of them an uploader is working on.
    var closed: [String: ClosedSegment] = [:]
    /// Paths of closed segments not taken by an uploader, oldest first (from `pendingHead` on).
    var pending: [String] = []
    var pendingHead = 0
    var inFlight: Set<String> = []

    /// Set after an I/O error (fail-stop: nothing more is acknowledged) or by shutdown.
    var failure: SpoolError?
    var isShutDown = false

    /// Offsets held by segments not yet in S3 (commit after S3).
    var ledger = CommitLedger()
    /// Segments moved to the quarantine directory whose holds stay until they are re-driven.
    var quarantined: [String: ClosedSegment] = [:]

    init() {}

    mutating func enqueueClosed(_ segment: ClosedSegment) {
        closed[segment.path] = segment
        pending.append(segment.path)
    }

    mutating func takePending(limit: Int) -> [ClosedSegment] {
        var taken: [ClosedSegment] = []
        while taken.count < limit, pendingHead < pending.count {
            let path = pending[pendingHead]
            pendingHead += 1
            if let segment = closed[path], !inFlight.contains(path) {
                inFlight.insert(path)
                taken.append(segment)
            }
        }
        if pendingHead > 1024, pendingHead * 2 > pending.count {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
        return taken
    }

    var pendingCount: Int { pending.count - pendingHead }
}
