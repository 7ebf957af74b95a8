/// How the ``Spool`` writes sessions to disk and when it closes segments.
///
/// Durations are measured on the monotonic clock. Tests use second-scale values.
public struct SpoolConfiguration: Sendable {
    /// The spool directory (created if missing). One ``Spool`` per directory: a lock file enforces it.
    public var directory: String
    /// Open gzip compressors kept at most (zlib deflate at level 6 holds ≈ 256 KiB plus a 64 KiB
    /// output buffer each). The least recently used one is finished (its gzip member completed) when
    /// another session needs one; that session's next batch starts a new member in the same file.
    public var maxOpenSegments: Int = 64
    /// A session with no batch for this long has its segment closed and is forgotten.
    public var idleTimeout: Duration = .seconds(1800)
    /// A segment whose compressed file reaches this size is closed (the session continues in a new one).
    public var maxSegmentBytes: Int = 64 << 20
    /// A segment open for this long is closed (the session continues in a new one).
    public var maxSegmentAge: Duration = .seconds(3600)
    /// A segment holding a batch read from a log (``SpoolRecord/origin``) is closed (and uploaded)
    /// at the latest this long after its first such batch, even if the session goes on: a partition's
    /// offset is committed only once its batches are in S3, so this bounds how much a new owner
    /// re-reads after a Processor (or its disk) is lost, and how long a batch exists on one disk only.
    ///
    /// Default 5 minutes: long enough that a session writing steadily still gets segments of a few
    /// hundred batches (at most 12 extra segments per session-hour, each one PUT and one index row),
    /// short enough that the re-read after a lost Processor is minutes of one partition, far inside
    /// any Kafka retention (the topic needs retention above this delay plus the longest S3 outage to
    /// be ridden out; see docs/reliability.md).
    public var commitMaxDelay: Duration = .seconds(300)
    /// zlib level 0...9.
    public var compressionLevel: Int32 = 6
    /// Group-commit window: after the first waiter arrives the committer waits this long so that one
    /// `fsync` per dirty file covers every batch written meanwhile.
    public var syncDelay: Duration = .milliseconds(2)
    /// Threads that `fsync` dirty files of one group in parallel (the file system's journal merges
    /// concurrent syncs, so many dirty files cost about one journal commit).
    public var syncThreads: Int = 8
    /// The disk budget (``SpoolBudget``): the Processor stops taking records while the segment files
    /// on this disk reach this many bytes, and resumes by itself once uploads have freed room.
    public var maxBytes: Int64 = 20 << 30
    /// The same while the spool's file system has less than this free.
    public var minFreeBytes: Int64 = 1 << 30

    public init(directory: String) {
        self.directory = directory
    }
}
