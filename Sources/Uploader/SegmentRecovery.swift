import Core
import Foundation
import Gzip

/// Makes a segment file left by a crash uploadable and learns its metadata from its lines.
///
/// The file is read with `GzipFileReader(allowTruncatedTail: true)`: it yields exactly the data up to
/// the last flush point or member end — always a line boundary, because the spool flushes only after
/// whole lines. If the file had a torn tail (an unfinished member, or garbage), the complete lines are
/// rewritten into `<path>.tmp` as one finished member, `fsync`ed and renamed over the file, so what
/// is uploaded is a valid gzip stream. Nothing acknowledged is lost: acknowledged lines were flushed
/// and `fsync`ed before the acknowledgement.
///
/// A tail that ends inside a member (`truncated`) is what a crash leaves. A tail that does not decode
/// (`corrupt`) may be damage in the middle of the file (a bad block, a file overwritten): then the
/// damaged original is first kept in the quarantine directory (hard-linked, `corrupt_recovery`) so
/// that nothing after the damage is lost for good, and only then is the intact part renamed over it.
/// Either cut is counted (`replayd_spool_recovery_cuts_total{cause}`) and reported in ``Outcome``.
enum SegmentRecovery {
    struct Outcome: Sendable {
        /// Nil when the file holds no complete line (it is deleted, or quarantined when corrupt).
        var metadata: SegmentMetadata?
        /// Why the end of the file was cut, if it was.
        var cut: GzipError.Kind?
        /// Compressed bytes after the last readable flush point.
        var discardedBytes: Int64
        /// Where the damaged original was kept (corrupt files only).
        var quarantined: String?
    }

    /// Lines longer than this are not parsed for metadata (they are still kept in the file).
    static let maxParsedLineBytes = 256 << 20

    /// Recovers `path` in place; returns its metadata, or nil when it holds no complete line.
    static func recover(path: String, compressionLevel: Int32 = 6) throws -> SegmentMetadata? {
        try recoverTracing(path: path, compressionLevel: compressionLevel).metadata
    }

    /// ``recover(path:compressionLevel:)``, also saying what was cut and keeping a corrupt original.
    static func recoverTracing(path: String, compressionLevel: Int32 = 6) throws -> Outcome {
        let (scanner, summary) = try scan(path, failure: "cannot read spool file \(path) for recovery")
        let cut: GzipError.Kind? = summary.tail ?? (scanner.completeBytes < summary.bytesDelivered ? .truncated : nil)
        var outcome = Outcome(metadata: nil, cut: cut, discardedBytes: summary.discardedTailBytes, quarantined: nil)
        let spoolDirectory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let reason = "the file does not decode after \(scanner.completeBytes) bytes of complete lines; \(summary.discardedTailBytes) compressed bytes after the last readable flush point were not uploaded"
        guard scanner.completeBytes > 0 else {
            if cut == .corrupt {
                outcome.quarantined = try SpoolQuarantine.move(path, spoolDirectory: spoolDirectory, kind: .corruptRecovery, reason: reason)
            }
            return outcome
        }
        if cut == .corrupt {
            let target = try SpoolQuarantine.prepare(name: name, spoolDirectory: spoolDirectory, kind: .corruptRecovery, reason: reason)
            try FileSystem.remove(target)
            try FileSystem.hardLink(path, to: target)
            try FileSystem.fsyncPath(SpoolQuarantine.directory(spoolDirectory: spoolDirectory), directory: true)
            outcome.quarantined = target
        }
        if cut != nil {
            try rewrite(path: path, keepingFirst: scanner.completeBytes, level: compressionLevel)
        }
        outcome.metadata = metadata(of: scanner, path: path)
        return outcome
    }

    /// The metadata of a whole segment file, read only (nil when it holds no complete line); throws
    /// when the file does not decode to its end.
    static func metadata(ofIntactFile path: String) throws -> SegmentMetadata? {
        let (scanner, summary) = try scan(path, failure: "cannot read \(path)")
        guard summary.tail == nil, scanner.completeBytes == summary.bytesDelivered else {
            throw SpoolError(kind: .io, message: "\(path) is damaged after \(scanner.completeBytes) bytes; it cannot be uploaded as is")
        }
        guard scanner.completeBytes > 0 else { return nil }
        return metadata(of: scanner, path: path)
    }

    /// Reads `path` up to its last readable flush point through a ``LineScanner``.
    private static func scan(_ path: String, failure: String) throws -> (LineScanner, GzipFileReader.Summary) {
        var scanner = LineScanner()
        do {
            let summary = try GzipFileReader(path: path, allowTruncatedTail: true).read { piece in scanner.consume(piece) }
            return (scanner, summary)
        } catch {
            throw SpoolError(kind: .io, message: "\(failure): \(error); the file is kept")
        }
    }

    /// The scanned lines' metadata; timestamps from the file's mtime when no line carried one.
    private static func metadata(of scanner: LineScanner, path: String) -> SegmentMetadata {
        var metadata = scanner.metadata
        var activity = scanner.activity
        metadata.summary = activity.takeSummary()
        if metadata.firstTimestamp == .infinity {
            let mtime = FileSystem.modificationTimeMilliseconds(path) ?? Date().timeIntervalSince1970 * 1000
            metadata.firstTimestamp = mtime
            metadata.lastTimestamp = mtime
        }
        if metadata.firstSeq == .max { metadata.firstSeq = 0; metadata.lastSeq = 0 }
        return metadata
    }

    /// Rewrites the first `count` decompressed bytes of `path` as a fresh, finished gzip file.
    private static func rewrite(path: String, keepingFirst count: Int, level: Int32) throws {
        let temporary = path + SegmentFileName.temporarySuffix
        try FileSystem.remove(temporary)
        do {
            let writer = try GzipFileWriter(path: temporary, level: level)
            var remaining = count
            try GzipFileReader(path: path, allowTruncatedTail: true).read { piece in
                guard remaining > 0 else { return }
                let take = min(remaining, piece.count)
                try writer.write(UnsafeRawBufferPointer(rebasing: piece[0..<take]))
                remaining -= take
            }
            try writer.finish()
            try writer.sync()
        } catch let error as SpoolError {
            throw error
        } catch {
            try? FileSystem.remove(temporary)
            throw SpoolError(kind: .io, message: "cannot rewrite spool file \(path) during recovery: \(error); the original is kept")
        }
        try FileSystem.rename(temporary, to: path)
        let directory = (path as NSString).deletingLastPathComponent
        try FileSystem.fsyncPath(directory, directory: true)
    }
}

/// Splits decompressed segment content into lines and accumulates their metadata.
struct LineScanner {
    var metadata = SegmentMetadata(firstSeq: .max, lastSeq: .min, firstTimestamp: .infinity, lastTimestamp: -.infinity,
                                   eventCount: 0, batchCount: 0, pageURL: nil)
    /// The session's activity over the lines, in file order (the order they were written), so a
    /// recovered segment's summary is counted like any other.
    var activity = SessionActivity()
    /// Decompressed bytes up to and including the last `\n` seen.
    private(set) var completeBytes = 0
    private var line: [UInt8] = []
    private var lineTooLong = false

    mutating func consume(_ piece: UnsafeRawBufferPointer) {
        var start = 0
        for index in 0..<piece.count where piece[index] == 0x0A {
            append(UnsafeRawBufferPointer(rebasing: piece[start..<index]))
            finishLine()
            completeBytes = delivered + index + 1
            start = index + 1
        }
        if start < piece.count {
            append(UnsafeRawBufferPointer(rebasing: piece[start..<piece.count]))
        }
        delivered += piece.count
    }

    /// Decompressed bytes seen so far.
    private var delivered = 0

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if lineTooLong { return }
        if line.count + bytes.count > SegmentRecovery.maxParsedLineBytes {
            lineTooLong = true
            line = []
            return
        }
        line.append(contentsOf: bytes)
    }

    private mutating func finishLine() {
        defer {
            line.removeAll(keepingCapacity: line.count < 1 << 20)
            lineTooLong = false
        }
        metadata.batchCount += 1
        guard !lineTooLong, let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return }
        if let seq = (object[SegmentLine.Key.seq] as? NSNumber)?.intValue {
            metadata.firstSeq = min(metadata.firstSeq, seq)
            metadata.lastSeq = max(metadata.lastSeq, seq)
        }
        guard let events = object[SegmentLine.Key.events] as? [Any] else { return }
        metadata.eventCount += events.count
        var lineFirst = Double.infinity, lineLast = -Double.infinity
        for case let event as [String: Any] in events {
            if let timestamp = (event["timestamp"] as? NSNumber)?.doubleValue {
                metadata.firstTimestamp = min(metadata.firstTimestamp, timestamp)
                metadata.lastTimestamp = max(metadata.lastTimestamp, timestamp)
                lineFirst = min(lineFirst, timestamp)
                lineLast = max(lineLast, timestamp)
            }
            if metadata.pageURL == nil, (event["type"] as? NSNumber)?.intValue == 4,
               let data = event["data"] as? [String: Any], let href = data["href"] as? String {
                metadata.pageURL = href
            }
        }
        if lineFirst.isFinite, let bytes = try? JSONSerialization.data(withJSONObject: events),
           let batch = BatchValidator.activity(ofEvents: Array(bytes), near: lineFirst) {
            activity.add(batch, lastTimestamp: lineLast)
        }
    }
}
