/// How the ``SegmentUploader`` schedules, retries and names uploads.
public struct SegmentUploaderConfiguration: Sendable {
    /// Segments uploaded at the same time (each multipart upload also parallelises its parts).
    public var maxConcurrentUploads: Int = 4
    /// How often due segments (idle, age) are closed and closed ones picked up.
    public var checkInterval: Duration = .seconds(1)
    /// Failed uploads retry forever (the file is kept) with exponential backoff and jitter between
    /// these bounds. The cap is also how long uploads may lag once S3 is back after an outage (each
    /// busy upload slot finishes its current wait), so it stays short; at most
    /// ``maxConcurrentUploads`` requests per cap reach a failing S3.
    public var retryBaseDelay: Duration = .seconds(1)
    public var retryMaxDelay: Duration = .seconds(15)
    /// Prefix of every object key (see ``SegmentObjectKey``).
    public var keyPrefix: String = "sessions/"
    /// At start, multipart uploads under ``keyPrefix`` initiated longer ago than this are aborted
    /// (younger ones may belong to another running Processor).
    public var abandonedMultipartAge: Duration = .seconds(900)
    /// On graceful shutdown, how long to keep uploading closed segments; what is left stays on disk
    /// and is uploaded at the next start.
    public var shutdownTimeout: Duration = .seconds(30)
    /// A session with no event for this long is marked ended (``SessionEnder``).
    public var sessionEndIdle: Duration = .seconds(1800)

    public init() {}
}
