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
    /// zlib level 0...9.
    public var compressionLevel: Int32 = 6
    /// Group-commit window: after the first waiter arrives the committer waits this long so that one
    /// `fsync` per dirty file covers every batch written meanwhile.
    public var syncDelay: Duration = .milliseconds(2)
    /// Threads that `fsync` dirty files of one group in parallel (the file system's journal merges
    /// concurrent syncs, so many dirty files cost about one journal commit).
    public var syncThreads: Int = 8

    public init(directory: String) {
        self.directory = directory
    }
}
