import Core
import Foundation
import Gzip
import Metrics

/// The spool's bookkeeping, run with its mutex held.
extension SpoolState {
    static var lineSuffix: [UInt8] { SegmentLine.suffix }

    /// Compresses one line into the session's open segment (creating segment and compressor as needed).
    /// Returns the ticket and, if the write filled the segment, closes it.
    mutating func write(
        _ record: SpoolRecord, key: SessionKey, prefix: [UInt8], events: [UInt8], digest: UInt64,
        now: ContinuousClock.Instant, configuration: SpoolConfiguration
    ) throws -> (SpoolAppendResult, UInt64) {
        if let failure { throw failure }
        if isShutDown {
            throw SpoolError(kind: .unavailable, message: "the spool was shut down; batches can no longer be appended (restart the Processor)")
        }
        let match = sessions[key]?.batches.match(seq: record.seq, digest: digest) ?? .new
        if match == .identical { return (.duplicate, issuedTicket) }
        if sessions[key] == nil { sessions[key] = SessionState() }

        var isNewSegment = false
        if sessions[key]!.segment == nil {
            let id = UUID()
            let path = configuration.directory + "/" + SegmentFileName.make(campaignID: key.campaignID, session: key.session, segmentID: id)
            sessions[key]!.segment = OpenSegment(id: id, path: path, openedAt: now, lastAppendAt: now,
                                                 metadata: SegmentMetadata(first: record), bytes: 0)
            openSegmentCount += 1
            directoryDirty = true
            isNewSegment = true
        }
        let path = sessions[key]!.segment!.path

        let writer: GzipFileWriter
        if let open = writers[key] {
            writer = open.writer
        } else {
            if writers.count >= configuration.maxOpenSegments { try evictLeastRecentlyUsed() }
            do {
                let compressor = try spareCompressors.popLast() ?? GzipCompressor(level: configuration.compressionLevel)
                do {
                    writer = try GzipFileWriter(path: path, compressor: compressor)
                } catch {
                    spareCompressors.append(compressor)
                    throw error
                }
            } catch {
                if isNewSegment {
                    sessions[key]!.segment = nil
                    openSegmentCount -= 1
                }
                throw SpoolError(kind: .io, message: "cannot open spool file \(path): \(error); check free disk space and the open-file limit")
            }
        }
        useCounter += 1
        writers[key] = (writer, useCounter)

        do {
            try writer.write(prefix)
            try writer.write(events)
            try writer.write(Self.lineSuffix)
        } catch {
            throw failStop("writing \(path)", error)
        }
        issuedTicket += 1
        unflushed.insert(key)
        dirtyPaths.insert(path)
        sessions[key]!.batches.insert(seq: record.seq, digest: digest)
        sessions[key]!.segment!.lastAppendAt = now
        sessions[key]!.lastAppendAt = now
        sessions[key]!.segment!.bytes = writer.fileSize
        if !isNewSegment { sessions[key]!.segment!.metadata.add(record) }
        if let activity = record.activity { sessions[key]!.activity.add(activity, lastTimestamp: record.lastTimestamp) }
        if let origin = record.origin { hold(origin, in: key, now: now) }
        UploaderMetrics.appendedBytes.increment(by: Int64(prefix.count + events.count + Self.lineSuffix.count))

        if writer.fileSize >= Int64(configuration.maxSegmentBytes) {
            try closeSegment(key, reason: .size, forget: false)
        }
        return (match == .conflicting ? .conflict : .appended, issuedTicket)
    }

    /// Makes the session's open segment hold `origin` (keeping the lowest offset per source).
    private mutating func hold(_ origin: SpoolOrigin, in key: SessionKey, now: ContinuousClock.Instant) {
        if sessions[key]!.segment!.heldSince == nil { sessions[key]!.segment!.heldSince = now }
        if let held = sessions[key]!.segment!.holds[origin.source] {
            guard origin.offset < held else { return }
            ledger.release(origin.source, held)
        }
        sessions[key]!.segment!.holds[origin.source] = origin.offset
        ledger.hold(origin.source, origin.offset, at: sessions[key]!.segment!.heldSince ?? now)
    }

    /// Releases the holds of a segment that is in S3 (or was discarded as empty).
    mutating func releaseHolds(of segment: ClosedSegment) {
        for (source, offset) in segment.holds { ledger.release(source, offset) }
    }

    /// Records an I/O failure: from now on nothing is acknowledged (fail-stop), so no batch whose
    /// bytes may be damaged is ever confirmed. A restart recovers what was durable.
    mutating func failStop(_ action: String, _ error: any Error) -> SpoolError {
        let failure = SpoolError(kind: .io, message: "spool stopped after an I/O error while \(action): \(error); free disk space or fix the spool directory, then restart (durable batches are recovered)")
        if self.failure == nil { self.failure = failure }
        return failure
    }

    /// Finishes the gzip member of the least recently used compressor and frees it.
    mutating func evictLeastRecentlyUsed() throws {
        guard let victim = writers.min(by: { $0.value.lastUse < $1.value.lastUse }) else { return }
        writers.removeValue(forKey: victim.key)
        unflushed.remove(victim.key)
        try finish(victim.value.writer)
        sessions[victim.key]?.segment?.bytes = victim.value.writer.fileSize
        UploaderMetrics.evictions.increment()
    }

    /// Finishes a writer's gzip member and keeps its compressor for the next writer.
    private mutating func finish(_ writer: GzipFileWriter) throws {
        do {
            try writer.finish()
        } catch {
            throw failStop("finishing \(writer.path)", error)
        }
        spareCompressors.append(writer.compressor)
    }

    /// Closes the session's open segment (if any): its file becomes a closed segment ready to upload.
    mutating func closeSegment(_ key: SessionKey, reason: SegmentCloseReason, forget: Bool) throws {
        if var segment = sessions[key]?.segment {
            segment.metadata.summary = sessions[key]!.activity.takeSummary()
            var bytes = segment.bytes
            if let open = writers.removeValue(forKey: key) {
                unflushed.remove(key)
                try finish(open.writer)
                bytes = open.writer.fileSize
            }
            enqueueClosed(ClosedSegment(campaignID: key.campaignID, session: key.session, segmentID: segment.id,
                                        path: segment.path, bytes: bytes, metadata: segment.metadata, holds: segment.holds))
            sessions[key]!.segment = nil
            openSegmentCount -= 1
            UploaderMetrics.closed(reason).increment()
        }
        if forget { sessions.removeValue(forKey: key) }
    }

    /// Closes segments that are idle (and forgets their sessions) or too old.
    mutating func closeDue(now: ContinuousClock.Instant, configuration: SpoolConfiguration) throws -> Int {
        var due: [(SessionKey, SegmentCloseReason)] = []
        for (key, session) in sessions {
            guard let segment = session.segment else {
                continue
            }
            if now - segment.lastAppendAt >= configuration.idleTimeout {
                due.append((key, .idle))
            } else if now - segment.openedAt >= configuration.maxSegmentAge {
                due.append((key, .age))
            } else if let heldSince = segment.heldSince, now - heldSince >= configuration.commitMaxDelay {
                due.append((key, .commitDelay))
            }
        }
        // Sessions whose segment was closed for size/age and that never wrote again.
        var forgotten: [SessionKey] = []
        for (key, session) in sessions where session.segment == nil {
            if let last = session.lastAppendAt, now - last >= configuration.idleTimeout { forgotten.append(key) }
        }
        for key in forgotten { sessions.removeValue(forKey: key) }
        for (key, reason) in due { try closeSegment(key, reason: reason, forget: reason == .idle) }
        return due.count
    }

    mutating func closeAll(reason: SegmentCloseReason) throws {
        for key in Array(sessions.keys) { try closeSegment(key, reason: reason, forget: true) }
    }

    /// Closes every open segment holding an offset of one of `sources` (they go to upload now);
    /// returns how many.
    mutating func closeHolding(_ sources: Set<SpoolSource>, reason: SegmentCloseReason) throws -> Int {
        var keys: [SessionKey] = []
        for (key, session) in sessions {
            if let segment = session.segment, segment.holds.keys.contains(where: sources.contains) { keys.append(key) }
        }
        for key in keys { try closeSegment(key, reason: reason, forget: false) }
        return keys.count
    }

    var statistics: SpoolStatistics {
        var bytes: Int64 = 0
        for session in sessions.values { bytes += session.segment?.bytes ?? 0 }
        for segment in closed.values { bytes += segment.bytes }
        return SpoolStatistics(openSegments: openSegmentCount, openCompressors: writers.count, liveSessions: sessions.count,
                               closedSegments: closed.count, bytesOnDisk: bytes, quarantinedSegments: quarantined.count,
                               holds: ledger.count)
    }
}
