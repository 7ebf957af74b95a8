import Core

extension SpoolConfiguration {
    /// `REPLAYD_SPOOL_DIR` (default `.stack/spool`, the local stack's), `REPLAYD_SPOOL_IDLE_TIMEOUT`,
    /// `REPLAYD_SEGMENT_MAX_BYTES`, `REPLAYD_SEGMENT_MAX_AGE`, `REPLAYD_SPOOL_MAX_OPEN`,
    /// `REPLAYD_COMMIT_MAX_DELAY`, `REPLAYD_SPOOL_MAX_BYTES`, `REPLAYD_SPOOL_MIN_FREE_BYTES`.
    public init(from reader: inout EnvironmentReader) {
        self.init(directory: reader.string("REPLAYD_SPOOL_DIR", default: ".stack/spool"))
        idleTimeout = reader.duration("REPLAYD_SPOOL_IDLE_TIMEOUT", default: idleTimeout, minimum: .milliseconds(100))
        maxSegmentBytes = reader.bytes("REPLAYD_SEGMENT_MAX_BYTES", default: maxSegmentBytes, range: (64 << 10)...(5 << 30))
        maxSegmentAge = reader.duration("REPLAYD_SEGMENT_MAX_AGE", default: maxSegmentAge, minimum: .seconds(1))
        maxOpenSegments = reader.int("REPLAYD_SPOOL_MAX_OPEN", default: maxOpenSegments, range: 1...100_000)
        commitMaxDelay = reader.duration("REPLAYD_COMMIT_MAX_DELAY", default: commitMaxDelay, minimum: .milliseconds(100))
        maxBytes = Int64(reader.bytes("REPLAYD_SPOOL_MAX_BYTES", default: Int(maxBytes), range: (1 << 20)...Int.max))
        minFreeBytes = Int64(reader.bytes("REPLAYD_SPOOL_MIN_FREE_BYTES", default: Int(minFreeBytes), range: 0...Int.max))
    }
}

extension SegmentUploaderConfiguration {
    /// `REPLAYD_UPLOAD_CONCURRENCY`, `REPLAYD_SESSION_END_IDLE`.
    public init(from reader: inout EnvironmentReader) {
        self.init()
        maxConcurrentUploads = reader.int("REPLAYD_UPLOAD_CONCURRENCY", default: maxConcurrentUploads, range: 1...64)
        sessionEndIdle = reader.duration("REPLAYD_SESSION_END_IDLE", default: sessionEndIdle, minimum: .seconds(1))
    }
}
