import Core
import Foundation
import Gzip
import Logging
import Metrics
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams each session's batches into a gzip file on disk (a *segment*), durably, with flat memory.
///
/// **Layout.** One directory (``SpoolConfiguration/directory``) holds one file per segment, named
/// `<campaign uuid>.<session>.<segment uuid>.jsonl.gz` (see `SegmentFileName`). Decompressed, a
/// segment is one line per batch (``SegmentLine``).
///
/// **Memory.** Only a bounded set of gzip compressors is open (``SpoolConfiguration/maxOpenSegments``,
/// least recently used evicted: its gzip member is finished; the session's next batch starts a new
/// member in the same file). Per live session the spool keeps a few hundred bytes (segment metadata and
/// the received sequence numbers as ranges); session content is never held in memory.
///
/// **Durability.** ``write(_:)`` compresses into the session's segment and returns a ticket;
/// ``waitDurable(_:)`` returns once everything written up to that ticket is on disk. A dedicated
/// committer thread groups waiters (``SpoolConfiguration/syncDelay``): it `Z_SYNC_FLUSH`es every dirty
/// compressor, then `fsync`s every dirty file once (in parallel on ``SpoolConfiguration/syncThreads``
/// threads) and the directory when files were created. After `kill -9` at any moment, a file holds at
/// least everything acknowledged, each batch whole (recovery cuts at the last flush point, which is
/// always a line boundary). After an I/O error the spool stops accepting and acknowledging (fail-stop);
/// restart to recover.
///
/// **Closing.** Segments close on idle, size or age (``closeDueSegments()``, called periodically by
/// ``SegmentUploader``) and at ``shutdown()``; closed segments are handed to the uploader, which deletes
/// the file only after S3 confirmed the object. At start, leftover files of a previous run are queued
/// as closed (their metadata is recomputed from their lines before upload).
public final class Spool: Sendable {
    public let configuration: SpoolConfiguration
    let logger: Logger
    let state: Mutex<SpoolState>
    private let wake = DispatchSemaphore(value: 0)
    private let fsyncPool: FsyncPool
    private let lockDescriptor: Int32

    /// Creates the directory, locks it, and queues leftover segment files of a previous run as closed.
    public init(configuration: SpoolConfiguration, logger: Logger) throws {
        var configuration = configuration
        configuration.maxOpenSegments = max(1, configuration.maxOpenSegments)
        while configuration.directory.count > 1, configuration.directory.hasSuffix("/") { configuration.directory.removeLast() }
        self.configuration = configuration
        self.logger = logger
        let directory = configuration.directory
        try FileSystem.createDirectory(directory)
        lockDescriptor = try FileSystem.lockDirectory(directory)

        var state = SpoolState()
        var recovered = 0
        do {
            for name in try FileSystem.list(directory).sorted() {
                let path = directory + "/" + name
                if name.hasSuffix(SegmentFileName.temporarySuffix) {
                    try FileSystem.remove(path)  // an interrupted recovery rewrite; the original is intact
                    continue
                }
                guard let parsed = SegmentFileName.parse(name) else {
                    if name != ".lock" && name != SpoolQuarantine.directoryName { logger.warning("ignoring unexpected file in the spool directory", metadata: ["path": "\(path)"]) }
                    continue
                }
                state.enqueueClosed(ClosedSegment(campaignID: parsed.campaignID, session: parsed.session, segmentID: parsed.segmentID,
                                                  path: path, bytes: FileSystem.fileSize(path) ?? 0, metadata: nil))
                recovered += 1
            }
        } catch {
            _ = close(lockDescriptor)
            throw error
        }
        if recovered > 0 {
            UploaderMetrics.recovered.increment(by: Int64(recovered))
            logger.notice("found segment files of a previous run; they will be recovered and uploaded", metadata: ["count": "\(recovered)", "directory": "\(directory)"])
        }
        self.state = Mutex(state)
        fsyncPool = FsyncPool(threads: configuration.syncThreads)
        startCommitter()
    }

    deinit {
        wake.signal()
        fsyncPool.stop()
        _ = close(lockDescriptor)
    }

    // MARK: appending

    /// Compresses `record` as one line into its session's open segment, in call order. Not yet durable:
    /// pass the ticket to ``waitDurable(_:)`` before acknowledging. A (session, seq) already in this
    /// process's spool with the same bytes returns `.duplicate` (with a ticket covering the earlier
    /// write) and writes nothing; other bytes under a known (session, seq) are written and return
    /// `.conflict`.
    public func write(_ record: SpoolRecord) throws -> (SpoolAppendResult, SpoolTicket) {
        let key = SessionKey(campaignID: record.campaignID, session: record.session)
        let prefix = SegmentLine.prefix(seq: record.seq)
        let events = SegmentLine.singleLine(record.events)
        let digest = BatchDigests.digest(events)
        let now = ContinuousClock.now
        let configuration = self.configuration
        let (result, ticket) = try state.withLock { state in
            try state.write(record, key: key, prefix: prefix, events: events, digest: digest, now: now, configuration: configuration)
        }
        switch result {
        case .appended: UploaderMetrics.appended.increment()
        case .duplicate: UploaderMetrics.duplicates.increment()
        case .conflict:
            UploaderMetrics.conflicts.increment()
            logger.notice("kept a conflicting batch: other events were already stored under this seq", metadata: [
                "campaign": "\(record.campaignID.uuidString.lowercased())", "session": "\(record.session)", "seq": "\(record.seq)",
            ])
        }
        return (result, SpoolTicket(value: ticket))
    }

    /// Returns once every batch written up to `ticket` is on disk (group commit); throws if the spool
    /// stopped after an I/O error.
    public func waitDurable(_ ticket: SpoolTicket) async throws {
        if state.withLock({ ticket.value <= $0.durableTicket }) { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            enum Action { case resume, fail(SpoolError), wait(signal: Bool) }
            let action: Action = state.withLock { state in
                if ticket.value <= state.durableTicket { return .resume }
                if let failure = state.failure { return .fail(failure) }
                state.waiters.append((ticket.value, continuation))
                if state.syncRequested { return .wait(signal: false) }
                state.syncRequested = true
                return .wait(signal: true)
            }
            switch action {
            case .resume: continuation.resume()
            case .fail(let error): continuation.resume(throwing: error)
            case .wait(let signal): if signal { wake.signal() }
            }
        }
    }

    /// Whether ``waitDurable(_:)`` for `ticket` would return at once: the writes are durable, or the
    /// spool stopped after an I/O error (then it throws). Lets a caller go on working while a group
    /// commit runs and collect it when it is done.
    public func isSettled(_ ticket: SpoolTicket) -> Bool {
        state.withLock { ticket.value <= $0.durableTicket || $0.failure != nil }
    }

    /// ``write(_:)`` then ``waitDurable(_:)``.
    public func append(_ record: SpoolRecord) async throws -> SpoolAppendResult {
        let (result, ticket) = try write(record)
        try await waitDurable(ticket)
        return result
    }

    /// Finishes every open segment (they become closed, ready to upload), makes them durable and stops
    /// accepting batches. Idempotent.
    public func shutdown() async throws {
        let ticket: UInt64 = try state.withLock { state in
            if !state.isShutDown {
                state.isShutDown = true
                try state.closeAll(reason: .shutdown)
            }
            state.issuedTicket += 1  // forces one more group commit covering the finished files
            return state.issuedTicket
        }
        try await waitDurable(SpoolTicket(value: ticket))
        UploaderMetrics.update(statistics)
        logger.info("spool shut down", metadata: ["closedSegments": "\(statistics.closedSegments)"])
    }

    public var statistics: SpoolStatistics { state.withLock { $0.statistics } }

    // MARK: closing and handing over (used by SegmentUploader)

    /// Closes segments that are idle (forgetting their sessions) or older than the maximum age, and
    /// refreshes the gauges. Returns how many were closed.
    @discardableResult
    public func closeDueSegments() throws -> Int {
        let configuration = self.configuration
        let (count, statistics) = try state.withLock { state in
            (try state.closeDue(now: .now, configuration: configuration), state.statistics)
        }
        UploaderMetrics.update(statistics)
        return count
    }

    /// Takes up to `limit` closed segments no one is uploading; each must come back through
    /// ``segmentUploaded(_:)``, ``discardSegment(_:)`` or ``releaseSegment(_:)``.
    func takeClosedSegments(limit: Int) -> [ClosedSegment] {
        state.withLock { $0.takePending(limit: limit) }
    }

    /// Closed segments not yet taken by an uploader.
    var pendingClosedCount: Int { state.withLock { $0.pendingCount } }

    /// The segment is stored and indexed: deletes its file and releases its commit holds.
    func segmentUploaded(_ segment: ClosedSegment) throws {
        try FileSystem.remove(segment.path)
        forgetSegment(segment)
    }

    /// S3 refused the segment for good: moves its file into the quarantine directory (with the
    /// reason) and frees its upload slot. Its commit holds stay until it is re-driven (``SpoolQuarantine``):
    /// its batches are on this disk only.
    func quarantineSegment(_ segment: ClosedSegment, kind: SpoolQuarantine.Kind, reason: String) throws {
        let target = try SpoolQuarantine.move(segment.path, spoolDirectory: configuration.directory, kind: kind, reason: reason)
        state.withLock { state in
            state.inFlight.remove(segment.path)
            state.closed[segment.path] = nil
            var kept = segment
            kept.path = target
            state.quarantined[target] = kept
        }
        UploaderMetrics.quarantined(kind).increment()
    }

    /// Releases the holds of quarantined segments whose file left the quarantine directory (uploaded
    /// by `replayd spool quarantine retry`, or removed by an operator). Returns how many.
    @discardableResult
    func releaseRedrivenQuarantine() -> Int {
        let paths = state.withLock { Array($0.quarantined.keys) }
        let gone = paths.filter { !FileSystem.exists($0) }
        guard !gone.isEmpty else { return 0 }
        state.withLock { state in
            for path in gone {
                if let segment = state.quarantined.removeValue(forKey: path) { state.releaseHolds(of: segment) }
            }
        }
        return gone.count
    }

    // MARK: commit after S3 (used by the Processor)

    /// The lowest offset of `source` that is ≥ `floor` and held by a segment not yet in S3 (open,
    /// closed, uploading or quarantined); nil when none is. A log's committed offset may move up to
    /// this offset, never past it.
    public func lowestHeldOffset(_ source: SpoolSource, atLeast floor: Int64) -> Int64? {
        state.withLock { $0.ledger.lowest(source, atLeast: floor) }
    }

    /// How long the oldest batch of `source` (≥ `floor`) not yet in S3 has been in the spool.
    public func oldestHoldAge(_ source: SpoolSource, atLeast floor: Int64) -> Duration? {
        state.withLock { $0.ledger.oldest(source, atLeast: floor) }.map { ContinuousClock.now - $0 }
    }

    /// Closes every open segment holding an offset of one of `sources`, so that the uploader sends
    /// them now (a Processor handing its partitions over). Returns how many were closed.
    @discardableResult
    public func closeSegments(holding sources: Set<SpoolSource>) throws -> Int {
        guard !sources.isEmpty else { return 0 }
        let (count, statistics) = try state.withLock { state in
            (try state.closeHolding(sources, reason: .handover), state.statistics)
        }
        UploaderMetrics.update(statistics)
        return count
    }

    /// The segment held nothing recoverable: deletes its file (and releases its holds).
    func discardSegment(_ segment: ClosedSegment) throws {
        try segmentUploaded(segment)
    }

    /// Quarantined segments that still hold their partitions' commit.
    public var quarantinedCount: Int { state.withLock { $0.quarantined.count } }

    /// The segment's file is gone (uploaded, or moved away by recovery): forgets it, releasing its holds.
    func forgetSegment(_ segment: ClosedSegment) {
        state.withLock { state in
            state.inFlight.remove(segment.path)
            state.closed[segment.path] = nil
            state.releaseHolds(of: segment)
        }
    }

    /// Puts a segment back for a later attempt (keeping metadata learnt meanwhile).
    func releaseSegment(_ segment: ClosedSegment) {
        state.withLock { state in
            state.inFlight.remove(segment.path)
            state.closed[segment.path] = segment
            state.pending.append(segment.path)
        }
    }

    // MARK: group commit

    private func startCommitter() {
        let wake = self.wake
        let thread = Thread { [weak self] in
            while true {
                wake.wait()
                guard let spool = self else { return }
                spool.commitPendingGroups()
            }
        }
        thread.name = "replayd-spool-commit"
        thread.start()
    }

    /// Runs group commits until no waiter is left. Runs on the committer thread only.
    private func commitPendingGroups() {
        let delay = configuration.syncDelay.components
        let micros = delay.seconds * 1_000_000 + delay.attoseconds / 1_000_000_000_000
        if micros > 0 { usleep(UInt32(clamping: micros)) }
        while true {
            let start = ContinuousClock.now
            let work: (target: UInt64, paths: [String], directory: Bool)?
            var failed: [CheckedContinuation<Void, any Error>] = []
            var failure: SpoolError?
            work = state.withLock { state in
                if state.waiters.isEmpty {
                    state.syncRequested = false
                    return nil
                }
                if state.failure == nil {
                    for key in state.unflushed {
                        guard let open = state.writers[key] else { continue }
                        do {
                            try open.writer.flush()
                            state.sessions[key]?.segment?.bytes = open.writer.fileSize
                        } catch {
                            _ = state.failStop("flushing \(open.writer.path)", error)
                            break
                        }
                    }
                    state.unflushed.removeAll(keepingCapacity: true)
                }
                if let stateFailure = state.failure {
                    failure = stateFailure
                    failed = state.waiters.map(\.continuation)
                    state.waiters.removeAll()
                    state.syncRequested = false
                    return nil
                }
                let paths = Array(state.dirtyPaths)
                state.dirtyPaths.removeAll(keepingCapacity: true)
                let directory = state.directoryDirty
                state.directoryDirty = false
                return (state.issuedTicket, paths, directory)
            }
            if let failure {
                for continuation in failed { continuation.resume(throwing: failure) }
                return
            }
            guard let work else { return }
            var ready: [CheckedContinuation<Void, any Error>] = []
            do {
                try fsyncPool.sync(work.paths)
                if work.directory { try FileSystem.fsyncPath(configuration.directory, directory: true) }
                ready = state.withLock { state in
                    state.durableTicket = max(state.durableTicket, work.target)
                    var ready: [CheckedContinuation<Void, any Error>] = []
                    state.waiters.removeAll { waiter in
                        guard waiter.ticket <= state.durableTicket else { return false }
                        ready.append(waiter.continuation)
                        return true
                    }
                    return ready
                }
                UploaderMetrics.commitSeconds.recordInterval(since: start)
                UploaderMetrics.commitFiles.record(work.paths.count)
            } catch {
                let (failure, waiters) = state.withLock { state in
                    let failure = state.failStop("syncing spool files", error)
                    let waiters = state.waiters.map(\.continuation)
                    state.waiters.removeAll()
                    state.syncRequested = false
                    return (failure, waiters)
                }
                logger.critical("spool fsync failed; no further batches are acknowledged", metadata: ["error": "\(error)"])
                for continuation in waiters { continuation.resume(throwing: failure) }
                return
            }
            for continuation in ready { continuation.resume() }
        }
    }
}
