import Core
import Foundation
import Gzip
import Logging
import Metrics
import PostgresNIO
import S3
import ServiceLifecycle
import Synchronization

/// Uploads closed spool segments to S3 and indexes them in Postgres, then deletes the local file.
///
/// - Closes due segments (idle, age; size closes happen while writing) every
///   ``SegmentUploaderConfiguration/checkInterval``.
/// - Uploads closed segments with bounded concurrency: one PUT below the S3 client's multipart
///   threshold (5 MiB by default), multipart above; the S3 module verifies the stored size (and ETag).
/// - Then upserts the `sessions` row and inserts the `segments` row (idempotent), and only then deletes
///   the file and releases the segment's commit holds (``Spool/lowestHeldOffset(_:atLeast:)``).
///   Transient failures are retried forever with exponential backoff and jitter; a permanent S3
///   refusal (``UploadFailure``) moves the segment to the quarantine directory (``SpoolQuarantine``)
///   and frees its slot. A file is never deleted before S3 confirmed the object and the index has it.
/// - At start, aborts multipart uploads under the key prefix older than
///   ``SegmentUploaderConfiguration/abandonedMultipartAge``: the local file is only deleted after its
///   object is complete, so an abandoned upload's data is always still on disk and is simply uploaded
///   again; nothing needs to be completed.
/// - After a segment found at start (or any multipart segment) is uploaded, aborts every other
///   multipart upload still open for its key, whatever its age: the key holds the segment's id and
///   only the spool owning the file uploads it, so such an upload was left by this spool's previous
///   process (killed mid-upload) or by an attempt whose abort failed.
/// - Segment files left by a crash (queued by ``Spool/init(configuration:logger:)``) are repaired and
///   their metadata recomputed before upload (see `SegmentRecovery`).
/// - On graceful shutdown: ``Spool/shutdown()``, then uploads what is closed until
///   ``SegmentUploaderConfiguration/shutdownTimeout``; the rest is uploaded at the next start.
///
/// Object layout and metadata: ``SegmentObjectKey``. Metrics: ``UploaderMetrics``.
public final class SegmentUploader: Service, Sendable {
    public let spool: Spool
    public let s3: S3Client
    public let configuration: SegmentUploaderConfiguration
    let index: SegmentIndex
    let logger: Logger
    let transfer: SegmentTransfer
    private let blocking = DispatchQueue(label: "replayd.uploader.recovery")

    private struct RunState {
        var inFlight = 0
        var deadline: ContinuousClock.Instant?
    }
    private let runState = Mutex(RunState())

    public init(spool: Spool, s3: S3Client, postgres: PostgresClient, configuration: SegmentUploaderConfiguration, logger: Logger) {
        self.spool = spool
        self.s3 = s3
        self.configuration = configuration
        self.logger = logger
        index = SegmentIndex(client: postgres, logger: logger)
        transfer = SegmentTransfer(s3: s3, index: index, keyPrefix: configuration.keyPrefix, logger: logger)
    }

    // MARK: service

    public func run() async throws {
        do {
            try await abortAbandonedMultipartUploads()
        } catch {
            logger.warning("could not clean up abandoned multipart uploads; retrying at the next start", metadata: ["error": "\(error)"])
        }
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                closeDue()
                startUploads(in: &group)
                let interval = configuration.checkInterval
                _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            }
            guard !Task.isCancelled else { return }
            let deadline = ContinuousClock.now + configuration.shutdownTimeout
            runState.withLock { $0.deadline = deadline }
            do {
                try await spool.shutdown()
            } catch {
                logger.error("spool shutdown failed; its files are recovered at the next start", metadata: ["error": "\(error)"])
            }
            while ContinuousClock.now < deadline && !Task.isCancelled {
                startUploads(in: &group)
                if spool.pendingClosedCount == 0 && runState.withLock({ $0.inFlight }) == 0 { break }
                try? await Task.sleep(for: .milliseconds(20))
            }
            let left = spool.statistics.closedSegments
            if left > 0 {
                logger.warning("shutting down with segments not uploaded; they stay in the spool for the next start", metadata: ["count": "\(left)"])
            }
        }
    }

    /// One pass of the same scheduler ``run()`` uses: closes due segments, then fills the upload
    /// slots until no closed segment is left, with one attempt per segment (on top of the S3
    /// client's own retries) instead of retrying. Failed segments go back to the queue when the pass
    /// ends; the first error is rethrown.
    public func uploadPending() async throws {
        try spool.closeDueSegments()
        let failed = Mutex<[(segment: ClosedSegment, error: any Error)]>([])
        await withDiscardingTaskGroup { group in
            startUploads(in: &group) { segment in
                var segment = segment
                do {
                    try await self.uploadOnce(&segment)
                } catch {
                    failed.withLock { $0.append((segment, error)) }  // kept in flight until the pass ends
                }
                return true
            }
        }
        let failures = failed.withLock { $0 }
        for failure in failures { spool.releaseSegment(failure.segment) }
        if let first = failures.first { throw first.error }
    }

    /// Aborts multipart uploads under the key prefix initiated more than
    /// ``SegmentUploaderConfiguration/abandonedMultipartAge`` ago. Returns how many were aborted.
    @discardableResult
    public func abortAbandonedMultipartUploads() async throws -> Int {
        let uploads = try await s3.listMultipartUploads(prefix: configuration.keyPrefix)
        let cutoff = Date().addingTimeInterval(-Double(configuration.abandonedMultipartAge.components.seconds))
        var aborted = 0
        for upload in uploads {
            if let initiated = Self.parseDate(upload.initiated), initiated > cutoff { continue }
            try await s3.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
            aborted += 1
            UploaderMetrics.abortedMultipart.increment()
            logger.notice("aborted an abandoned multipart upload (its data is still in a spool or was uploaded since)",
                          metadata: ["key": "\(upload.key)", "initiated": "\(upload.initiated)"])
        }
        return aborted
    }

    // MARK: internals

    private func closeDue() {
        spool.releaseRedrivenQuarantine()
        do {
            try spool.closeDueSegments()
        } catch {
            logger.error("closing due segments failed", metadata: ["error": "\(error)"])
        }
    }

    /// Fills free upload slots. A slot keeps taking closed segments until none is left, so a backlog
    /// drains at the speed of S3, not at one segment per slot per ``SegmentUploaderConfiguration/checkInterval``.
    /// `work` moves one segment (by default ``uploadWithRetry(_:)``); false ends the slot.
    private func startUploads(
        in group: inout DiscardingTaskGroup, work: (@Sendable (ClosedSegment) async -> Bool)? = nil
    ) {
        let work = work ?? { await self.uploadWithRetry($0) }
        let free = runState.withLock { max(0, configuration.maxConcurrentUploads - $0.inFlight) }
        guard free > 0 else { return }
        let segments = spool.takeClosedSegments(limit: free)
        guard !segments.isEmpty else { return }
        runState.withLock { $0.inFlight += segments.count }
        for segment in segments {
            group.addTask {
                var next: ClosedSegment? = segment
                // A segment given back (stopping) ends the slot, so it is not taken again at once.
                while let current = next, await work(current) {
                    next = self.takeNextSegment()
                }
                self.runState.withLock { $0.inFlight -= 1 }
            }
        }
    }

    /// The next closed segment for a slot that just finished one; nil when there is none, or when the
    /// task is cancelled or the shutdown deadline has passed.
    private func takeNextSegment() -> ClosedSegment? {
        if Task.isCancelled { return nil }
        if let deadline = runState.withLock({ $0.deadline }), ContinuousClock.now >= deadline { return nil }
        return spool.takeClosedSegments(limit: 1).first
    }

    /// Uploads until it succeeds (true), the task is cancelled, or the shutdown deadline passes (then
    /// the segment goes back to the spool's queue, its file stays, and the result is false). A
    /// permanent refusal (``UploadFailure``) quarantines the segment and frees the slot (true).
    @discardableResult
    func uploadWithRetry(_ segment: ClosedSegment) async -> Bool {
        var segment = segment
        var attempt = 0
        while true {
            do {
                try await uploadOnce(&segment)
                return true
            } catch {
                attempt += 1
                if let reason = UploadFailure.permanentReason(error, attempt: attempt) {
                    if quarantine(segment, reason: reason) { return true }
                }
                let delay = backoff(attempt: attempt)
                logger.warning("segment upload failed; retrying", metadata: [
                    "path": "\(segment.path)", "attempt": "\(attempt)", "retryIn": "\(delay)", "error": "\(error)",
                ])
                guard await sleepUnlessStopping(delay) else {
                    spool.releaseSegment(segment)
                    return false
                }
            }
        }
    }

    /// Moves a segment S3 refused for good to the quarantine directory; false if that failed (the
    /// segment is then retried like any failure).
    private func quarantine(_ segment: ClosedSegment, reason: String) -> Bool {
        do {
            try spool.quarantineSegment(segment, kind: .uploadRefused, reason: reason)
            logger.error("S3 refused a segment for good; it is quarantined (list and retry with `replayd spool quarantine`)", metadata: [
                "path": "\(segment.path)", "session": "\(segment.session)", "reason": "\(reason)",
            ])
            return true
        } catch {
            logger.error("could not quarantine a segment S3 refused; retrying it", metadata: ["path": "\(segment.path)", "error": "\(error)"])
            return false
        }
    }

    /// Sleeps `delay`; false if the task was cancelled or the shutdown deadline comes first.
    private func sleepUnlessStopping(_ delay: Duration) async -> Bool {
        let end = ContinuousClock.now + delay
        while ContinuousClock.now < end {
            if Task.isCancelled { return false }
            if let deadline = runState.withLock({ $0.deadline }), end > deadline { return false }
            let slice = min(end - ContinuousClock.now, .milliseconds(250))
            do { try await Task.sleep(for: slice) } catch { return false }
        }
        return !Task.isCancelled
    }

    /// Exponential backoff with equal jitter (half fixed, half random).
    func backoff(attempt: Int) -> Duration {
        Backoff(baseDelay: configuration.retryBaseDelay, maxDelay: configuration.retryMaxDelay, jitter: .equal)
            .delay(afterAttempts: attempt)
    }

    /// One attempt: recover (for files from a previous run), upload, index, delete.
    func uploadOnce(_ segment: inout ClosedSegment) async throws {
        let foundAtStart = segment.metadata == nil
        if foundAtStart {
            guard try await recover(&segment) else { return }
        }
        let stored: (key: String, result: S3UploadResult)
        do {
            stored = try await transfer.store(segment, metadata: segment.metadata!, cleanUp: foundAtStart)
        } catch {
            UploaderMetrics.failures(error.stage.rawValue).increment()
            throw error.error
        }
        do {
            try spool.segmentUploaded(segment)
        } catch {
            UploaderMetrics.failures("delete").increment()
            throw error
        }
        UploaderMetrics.uploads(multipart: stored.result.multipart).increment()
        UploaderMetrics.uploadBytes.increment(by: stored.result.size)
        logger.debug("segment uploaded", metadata: ["key": "\(stored.key)", "bytes": "\(stored.result.size)", "parts": "\(stored.result.parts)"])
    }

    /// Repairs a file found at start and learns its metadata; false when nothing in it is left to
    /// upload (it was deleted, or quarantined when all of it is corrupt).
    private func recover(_ segment: inout ClosedSegment) async throws -> Bool {
        let path = segment.path
        let level = spool.configuration.compressionLevel
        let outcome: SegmentRecovery.Outcome
        do {
            outcome = try await runBlocking { try SegmentRecovery.recoverTracing(path: path, compressionLevel: level) }
        } catch {
            UploaderMetrics.failures("recover").increment()
            throw error
        }
        switch outcome.cut {
        case .corrupt?:
            UploaderMetrics.recoveryCuts("corrupt").increment()
            UploaderMetrics.quarantined(.corruptRecovery).increment()
            logger.error("a leftover spool file is damaged; its readable part is uploaded and the damaged original quarantined", metadata: [
                "path": "\(path)", "discardedBytes": "\(outcome.discardedBytes)", "quarantined": "\(outcome.quarantined ?? "-")",
            ])
        case .truncated?:
            UploaderMetrics.recoveryCuts("truncated").increment()
            logger.info("a leftover spool file ended inside a write (a crash); cut at its last complete batch", metadata: [
                "path": "\(path)", "discardedBytes": "\(outcome.discardedBytes)",
            ])
        default:
            break
        }
        guard let recovered = outcome.metadata else {
            if outcome.quarantined != nil {
                spool.forgetSegment(segment)
            } else {
                logger.notice("a leftover spool file holds no complete batch; deleting it", metadata: ["path": "\(path)"])
                try spool.discardSegment(segment)
            }
            return false
        }
        segment.metadata = recovered
        segment.bytes = FileSystem.fileSize(path) ?? segment.bytes
        logger.info("recovered a segment file of a previous run", metadata: [
            "path": "\(path)", "batches": "\(recovered.batchCount)", "firstSeq": "\(recovered.firstSeq)", "lastSeq": "\(recovered.lastSeq)",
        ])
        return true
    }

    private func runBlocking<T: Sendable>(_ body: @Sendable @escaping () throws -> T) async throws -> T {
        try await BlockingWork.run(on: blocking, body)
    }

    static func parseDate(_ value: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: value) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: value)
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = (ContinuousClock.now - start).components
        recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
    }
}
