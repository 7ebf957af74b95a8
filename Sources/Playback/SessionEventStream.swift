import HTTPSupport
import Core
import Foundation
import Hummingbird
import Logging
import NIOCore
import S3

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One session's rrweb events, merged from all its segments, ready to stream as one JSON array.
///
/// ``prepare(segments:s3:configuration:endTimestamp:gapEvent:logger:)`` downloads each segment to a
/// private temporary directory (S3 module, curl's threads), decompresses it to disk on a dedicated
/// thread while indexing its batch lines, sorts them by seq and keeps the first of identical copies
/// and every distinct batch under a seq (``BatchSelection``; segments in `first_seq` order, lines in
/// file order). ``write(to:)`` then reads the chosen events
/// arrays back with `pread` in ``PlaybackConfiguration/chunkSize`` pieces, joined into one array.
/// Memory stays flat: buffers of a fixed size plus 32 bytes per batch, whatever the session's size.
/// The files are deleted when the stream is written or dropped.
///
/// Missing seqs (``gaps``) are reported in the `X-Replayd-Sequence-Gaps` header and, unless turned
/// off, as a trailing rrweb custom event (type 5) tagged `replayd.gap`.
public final class SessionEventStream: Sendable {
    /// Custom-event tag of the trailing gap report.
    public static let gapTag = "replayd.gap"

    let directory: TemporaryDirectory
    let files: [String]
    let locations: [BatchLocation]
    let trailer: [UInt8]?
    let chunkSize: Int
    /// Missing seqs between 0 and the highest seq known.
    public let gaps: SequenceGaps
    /// Distinct batches played back.
    public let batchCount: Int
    /// Identical copies of batches that were left out.
    public let duplicateCount: Int
    /// Batches played beside another one with the same seq and other events (``BatchSelection``).
    public let conflictCount: Int
    /// Lines that were not batch lines (damaged data), and segments missing from S3 or cut short.
    public let skippedLines: Int
    public let damagedSegments: Int
    /// Exact size of the JSON array ``write(to:)`` sends.
    public let contentLength: Int

    init(directory: TemporaryDirectory, files: [String], locations: [BatchLocation], trailer: [UInt8]?, chunkSize: Int,
         gaps: SequenceGaps, duplicateCount: Int, conflictCount: Int, skippedLines: Int, damagedSegments: Int) {
        self.directory = directory
        self.files = files
        self.locations = locations.filter { $0.length > 0 }
        self.trailer = trailer
        self.chunkSize = max(4096, chunkSize)
        self.gaps = gaps
        self.batchCount = locations.count
        self.duplicateCount = duplicateCount
        self.conflictCount = conflictCount
        self.skippedLines = skippedLines
        self.damagedSegments = damagedSegments
        let parts = self.locations.count + (trailer == nil ? 0 : 1)
        let payload = self.locations.reduce(0) { $0 + Int($1.length) } + (trailer?.count ?? 0)
        self.contentLength = 2 + payload + max(0, parts - 1)
    }

    /// Downloads and indexes `segments` (in the order given; of identical copies the earlier one plays).
    /// `endTimestamp` (ms) stamps the trailing gap event.
    public static func prepare(
        segments: [SegmentRecord], s3: S3Client, configuration: PlaybackConfiguration, endTimestamp: Int64,
        gapEvent: Bool = true, logger: Logger
    ) async throws -> SessionEventStream {
        let directory = try TemporaryDirectory(parent: configuration.temporaryDirectory, prefix: "replayd-events-")
        let files = segments.indices.map { directory.file("\($0).jsonl") }
        let bufferSize = max(4096, configuration.chunkSize)
        var results = [SegmentDecoder.Result?](repeating: nil, count: segments.count)
        try await withThrowingTaskGroup(of: (Int, SegmentDecoder.Result).self) { group in
            var next = 0
            func start() {
                guard next < segments.count else { return }
                let index = next
                next += 1
                let segment = segments[index]
                let output = files[index]
                group.addTask {
                    let compressed = directory.file("\(index).gz")
                    defer { unlink(compressed) }
                    do {
                        try await s3.getObject(key: segment.objectKey, toFile: compressed)
                    } catch let error as S3Error where error.status == 404 {
                        logger.warning("segment missing from S3", metadata: ["key": "\(segment.objectKey)"])
                        _ = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600).closingIfValid()
                        return (index, SegmentDecoder.Result(locations: [], skippedLines: 0, damage: "missing from S3"))
                    } catch {
                        logger.error("segment download failed", metadata: ["key": "\(segment.objectKey)", "error": "\(error)"])
                        throw PlaybackError.unavailable("the session's recording cannot be read from S3 right now")
                    }
                    let result = try await BlockingWork.run(thread: "replayd-playback-io") {
                        try SegmentDecoder.decode(compressed: compressed, to: output, file: Int32(index), bufferSize: bufferSize)
                    }
                    if let damage = result.damage {
                        logger.warning("segment damaged; using what decodes", metadata: ["key": "\(segment.objectKey)", "problem": "\(damage)"])
                    }
                    return (index, result)
                }
            }
            for _ in 0..<max(1, configuration.parallelDownloads) { start() }
            while let (index, result) = try await group.next() {
                results[index] = result
                start()
            }
        }

        var all: [BatchLocation] = []
        all.reserveCapacity(results.reduce(0) { $0 + ($1?.locations.count ?? 0) })
        var skipped = 0
        var damaged = 0
        for case let result? in results {
            all.append(contentsOf: result.locations)
            skipped += result.skippedLines
            if result.damage != nil { damaged += 1 }
        }
        results.removeAll()
        all.sort { ($0.seq, $0.file, $0.offset) < ($1.seq, $1.file, $1.offset) }
        let sorted = all
        all = []
        let selection = try await BlockingWork.run(thread: "replayd-playback-io") {
            try BatchSelection.select(sorted, files: files)
        }
        let unique = selection.chosen

        let expectedLast = max(unique.last?.seq ?? -1, segments.map(\.lastSeq).max() ?? -1)
        let gaps = SequenceGaps(sortedUniqueSeqs: unique.lazy.map(\.seq), expectedLast: expectedLast)
        let trailer = gapEvent && !gaps.isEmpty ? gapEventJSON(gaps, timestamp: endTimestamp) : nil
        return SessionEventStream(directory: directory, files: files, locations: unique, trailer: trailer,
                                  chunkSize: configuration.chunkSize, gaps: gaps, duplicateCount: selection.duplicates,
                                  conflictCount: selection.conflicts, skippedLines: skipped, damagedSegments: damaged)
    }

    /// The trailing custom event: `{"type":5,"timestamp":…,"data":{"tag":"replayd.gap","payload":{…}}}`.
    static func gapEventJSON(_ gaps: SequenceGaps, timestamp: Int64) -> [UInt8] {
        let ranges = gaps.ranges.map { "[\($0.lowerBound),\($0.upperBound)]" }.joined(separator: ",")
        let message = "the recording is incomplete: \(gaps.missingCount) batch(es) never arrived (seq \(gaps.formatted(limit: 20)))"
        let json = "{\"type\":5,\"timestamp\":\(timestamp),\"data\":{\"tag\":\"\(gapTag)\",\"payload\":{"
            + "\"missing\":\"\(gaps.formatted())\",\"missingBatches\":\(gaps.missingCount),\"ranges\":[\(ranges)],"
            + "\"message\":\(JSONText.quoted(message))}}}"
        return Array(json.utf8)
    }

    /// Streams the JSON array to `writer`, finishes it, and deletes the temporary files.
    public func write(to writer: inout any ResponseBodyWriter) async throws {
        defer { directory.remove() }
        var descriptors: [Int32] = Array(repeating: -1, count: files.count)
        defer { for fd in descriptors where fd >= 0 { close(fd) } }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(chunkSize)
        buffer.writeInteger(UInt8(ascii: "["))
        var first = true
        for location in locations {
            if !first { buffer.writeInteger(UInt8(ascii: ",")) }
            first = false
            let file = Int(location.file)
            if descriptors[file] < 0 {
                descriptors[file] = open(files[file], O_RDONLY | O_CLOEXEC)
                guard descriptors[file] >= 0 else {
                    throw PlaybackError.unavailable("cannot open \(files[file]) (errno \(errno))")
                }
            }
            var offset = location.offset
            var remaining = location.length
            while remaining > 0 {
                if buffer.writableBytes == 0 {
                    try await writer.write(buffer)
                    buffer = ByteBuffer()
                    buffer.reserveCapacity(chunkSize)
                }
                let fd = descriptors[file]
                let want = Int(min(remaining, Int64(buffer.writableBytes)))
                let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { pointer -> Int in
                    while true {
                        let n = pread(fd, pointer.baseAddress, want, off_t(offset))
                        if n < 0, errno == EINTR { continue }
                        guard n > 0 else {
                            throw PlaybackError.unavailable("a temporary segment file ended early (errno \(errno))")
                        }
                        return n
                    }
                }
                offset += Int64(got)
                remaining -= Int64(got)
            }
        }
        if let trailer {
            if !first { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeBytes(trailer)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
        try await writer.write(buffer)
        try await writer.finish(nil)
    }
}

extension Int32 {
    /// Closes a descriptor returned by `open` when the call succeeded.
    fileprivate func closingIfValid() -> Int32 {
        if self >= 0 { close(self) }
        return self
    }
}
