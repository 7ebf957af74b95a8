import HTTPSupport
import Core
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import S3

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One session's rrweb events, merged from all its segments, streamed as one JSON array while the
/// segments are still being read.
///
/// The segments (ordered by first seq) are cut into runs (``SegmentGroups``): a segment that
/// overlaps the seq range of the ones before it joins their run, any other starts a new one. Runs
/// are played one after the other, each as soon as it is read, the next one fetched meanwhile:
///
/// - **A run of one segment whose lines the Uploader wrote in ascending seq order** (the usual case;
///   `segments.ordered`) streams as it decompresses: the S3 body is inflated piece by piece
///   (``LiveSegmentDecoder``) and each batch line goes out as soon as it is complete, so the first
///   event byte leaves after the first piece of the first segment, whatever the session's size.
/// - **Any other run** (overlapping segments, lines out of order, segments written before the flag
///   existed) is downloaded and decompressed whole, its batch lines sorted by seq and identical
///   copies left out (``BatchSelection``), then played.
///
/// Decompressed segments live in a private temporary directory only while their run is played;
/// memory stays flat (buffers of a fixed size plus 32 bytes per batch of the current run).
///
/// The counts (distinct batches, missing, conflicting) and the missing seqs are known only at the
/// end, so they travel as HTTP trailers (``trailerNames``) and, unless turned off, the gaps also as
/// a trailing rrweb custom event (type 5) tagged `replayd.gap`, which browsers can read.
///
/// The first run is read (or its download started) before the response head is sent, so a session
/// whose recording S3 cannot serve gets 503. A failure in a later run ends the chunked response
/// without its final chunk: the client sees a cut-off body, never a silently shorter one.
public final class SessionEventStream: Sendable {
    /// Custom-event tag of the trailing gap report.
    public static let gapTag = "replayd.gap"
    /// The trailers sent after the array (announced in a `Trailer` header).
    public static let trailerNames = [
        PlaybackResponses.batchesHeader, PlaybackResponses.missingHeader, PlaybackResponses.conflictsHeader,
        PlaybackResponses.gapsHeader,
    ]

    /// A run ready to play.
    enum PreparedRun: Sendable {
        /// Read whole and sorted: the batches to play, in seq order.
        case sorted(SortedRun)
        /// One ordered segment whose download has started (nil: missing from S3).
        case live(segment: Int, body: S3ObjectStream?)
    }

    struct SortedRun: Sendable {
        var segments: Range<Int>
        var chosen: [BatchLocation]
        var duplicates: Int
        var conflicts: Int
        var skippedLines: Int
        var damagedSegments: Int
    }

    let segments: [SegmentRecord]
    let runs: [Range<Int>]
    let first: PreparedRun
    let directory: TemporaryDirectory
    let files: [String]
    let s3: S3Client
    let chunkSize: Int
    let parallelDownloads: Int
    let endTimestamp: Int64
    let gapEvent: Bool
    let logger: Logger

    private init(segments: [SegmentRecord], runs: [Range<Int>], first: PreparedRun, directory: TemporaryDirectory,
                 s3: S3Client, configuration: PlaybackConfiguration, endTimestamp: Int64, gapEvent: Bool, logger: Logger) {
        self.segments = segments
        self.runs = runs
        self.first = first
        self.directory = directory
        self.files = segments.indices.map { directory.file("\($0).jsonl") }
        self.s3 = s3
        self.chunkSize = max(4096, configuration.chunkSize)
        self.parallelDownloads = max(1, configuration.parallelDownloads)
        self.endTimestamp = endTimestamp
        self.gapEvent = gapEvent
        self.logger = logger
    }

    /// Cuts `segments` (in first-seq order) into runs and reads the first one (or starts its
    /// download). `endTimestamp` (ms) stamps the trailing gap event.
    /// - Throws: ``PlaybackError`` `unavailable` when S3 or the temporary directory fails.
    /// `firstRunBody`: the first run's download, already started (``FirstSegmentHint``), when the
    /// first run is one ordered segment.
    public static func open(
        segments: [SegmentRecord], s3: S3Client, configuration: PlaybackConfiguration, endTimestamp: Int64,
        gapEvent: Bool = true, firstRunBody: S3ObjectStream? = nil, logger: Logger
    ) async throws -> SessionEventStream {
        let directory = try TemporaryDirectory(parent: configuration.temporaryDirectory, prefix: "replayd-events-")
        let runs = SegmentGroups(segments).runs
        let placeholder = PreparedRun.sorted(SortedRun(segments: 0..<0, chosen: [], duplicates: 0, conflicts: 0,
                                                       skippedLines: 0, damagedSegments: 0))
        let shell = SessionEventStream(segments: segments, runs: runs, first: placeholder, directory: directory, s3: s3,
                                       configuration: configuration, endTimestamp: endTimestamp, gapEvent: gapEvent,
                                       logger: logger)
        guard let firstRun = runs.first else { return shell }
        let first: PreparedRun
        if let firstRunBody, SegmentGroups.playsLive(firstRun, of: segments) {
            first = .live(segment: firstRun.lowerBound, body: firstRunBody)
        } else {
            first = try await shell.prepare(firstRun)
        }
        return SessionEventStream(segments: segments, runs: runs, first: first, directory: directory, s3: s3,
                                  configuration: configuration, endTimestamp: endTimestamp, gapEvent: gapEvent, logger: logger)
    }

    /// The most temporary disk one stream holds at once: two consecutive runs (the one playing and
    /// the one fetched meanwhile), in compressed bytes.
    static func peakCompressedBytes(_ segments: [SegmentRecord]) -> Int64 {
        let sizes = SegmentGroups(segments).runs.map { run in segments[run].reduce(Int64(0)) { $0 + $1.bytes } }
        guard sizes.count > 1 else { return sizes.first ?? 0 }
        return zip(sizes, sizes.dropFirst()).map { $0 + $1 }.max() ?? 0
    }

    // MARK: reading runs

    /// Starts a run: a live segment's download, or the whole run read and sorted.
    func prepare(_ run: Range<Int>) async throws -> PreparedRun {
        if SegmentGroups.playsLive(run, of: segments) {
            let index = run.lowerBound
            do {
                return .live(segment: index, body: try await s3.getObject(key: segments[index].objectKey))
            } catch let error as S3Error where error.status == 404 {
                logger.warning("segment missing from S3", metadata: ["key": "\(segments[index].objectKey)"])
                return .live(segment: index, body: nil)
            } catch {
                logger.error("segment download failed", metadata: ["key": "\(segments[index].objectKey)", "error": "\(error)"])
                throw PlaybackError.unavailable("the session's recording cannot be read from S3 right now")
            }
        }
        return .sorted(try await readSorted(run))
    }

    /// Downloads a run's segments (``parallelDownloads`` at a time), decompresses and indexes each,
    /// and chooses the batches to play.
    func readSorted(_ run: Range<Int>) async throws -> SortedRun {
        let bufferSize = chunkSize
        var results: [Int: SegmentDecoder.Result] = [:]
        try await withThrowingTaskGroup(of: (Int, SegmentDecoder.Result).self) { group in
            var next = run.lowerBound
            func start() {
                guard next < run.upperBound else { return }
                let index = next
                next += 1
                group.addTask { (index, try await self.download(index, bufferSize: bufferSize)) }
            }
            for _ in 0..<parallelDownloads { start() }
            while let (index, result) = try await group.next() {
                results[index] = result
                start()
            }
        }
        var all: [BatchLocation] = []
        all.reserveCapacity(results.values.reduce(0) { $0 + $1.locations.count })
        var skipped = 0, damaged = 0
        for index in run {
            guard let result = results.removeValue(forKey: index) else { continue }
            all.append(contentsOf: result.locations)
            skipped += result.skippedLines
            if result.damage != nil { damaged += 1 }
        }
        all.sort { ($0.seq, $0.file, $0.offset) < ($1.seq, $1.file, $1.offset) }
        let sorted = all
        let files = self.files
        let selection = try await BlockingWork.run(thread: "replayd-playback-io") {
            try BatchSelection.select(sorted, files: files)
        }
        return SortedRun(segments: run, chosen: selection.chosen, duplicates: selection.duplicates,
                         conflicts: selection.conflicts, skippedLines: skipped, damagedSegments: damaged)
    }

    /// Downloads one segment to the temporary directory and decompresses it to its `.jsonl` file.
    func download(_ index: Int, bufferSize: Int) async throws -> SegmentDecoder.Result {
        let segment = segments[index]
        let output = files[index]
        let compressed = directory.file("\(index).gz")
        defer { unlink(compressed) }
        do {
            try await s3.getObject(key: segment.objectKey, toFile: compressed)
        } catch let error as S3Error where error.status == 404 {
            logger.warning("segment missing from S3", metadata: ["key": "\(segment.objectKey)"])
            return SegmentDecoder.Result(locations: [], skippedLines: 0, damage: "missing from S3")
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
        return result
    }

    // MARK: writing

    /// Streams the JSON array to `writer`, then the trailers, and deletes the temporary files.
    public func write(to writer: inout any ResponseBodyWriter) async throws {
        defer { directory.remove() }
        var output = ArrayWriter(files: files, chunkSize: chunkSize)
        var gaps = SequenceGaps.Builder()
        var totals = (duplicates: 0, conflicts: 0, skipped: 0, damaged: 0)
        try await withThrowingTaskGroup(of: (Int, PreparedRun).self) { group in
            var ready: [Int: PreparedRun] = [0: first]
            for (position, run) in runs.enumerated() {
                // The next run is fetched once this one's first events are out: started earlier, its
                // request and download compete with the first piece for the cores (time to first byte).
                var nextStarted = position + 1 >= runs.count
                func startNext() {
                    guard !nextStarted else { return }
                    nextStarted = true
                    let next = runs[position + 1]
                    group.addTask { (position + 1, try await self.prepare(next)) }
                }
                var prepared = ready.removeValue(forKey: position)
                while prepared == nil {
                    guard let (done, result) = try await group.next() else { break }
                    if done == position { prepared = result } else { ready[done] = result }
                }
                guard let prepared else { continue }
                var seqs: [Int64] = []
                switch prepared {
                case .sorted(let sorted):
                    for location in sorted.chosen {
                        seqs.append(location.seq)
                        try await output.append(location, to: &writer)
                        startNext()
                    }
                    totals.duplicates += sorted.duplicates
                    totals.conflicts += sorted.conflicts
                    totals.skipped += sorted.skippedLines
                    totals.damaged += sorted.damagedSegments
                case .live(let index, let body):
                    let played = try await playLive(index, body: body, output: &output, writer: &writer, started: startNext)
                    seqs = played.seqs
                    totals.duplicates += played.duplicates
                    totals.conflicts += played.conflicts
                    totals.skipped += played.skippedLines
                    totals.damaged += played.damaged ? 1 : 0
                }
                startNext()
                output.closeFiles(run)
                for index in run { unlink(files[index]) }
                seqs.sort()
                for seq in seqs { gaps.add(seq) }
                output.batches += seqs.count
            }
        }
        let expectedLast = max(gaps.highestSeen, segments.map(\.lastSeq).max() ?? -1)
        let missing = gaps.finish(expectedLast: expectedLast)
        if gapEvent, !missing.isEmpty {
            try await output.appendRaw(Self.gapEventJSON(missing, timestamp: endTimestamp), to: &writer)
        }
        try await output.finish(to: &writer)
        if totals.duplicates > 0 || totals.conflicts > 0 || totals.skipped > 0 || totals.damaged > 0 {
            logger.info("session merged", metadata: [
                "duplicates": "\(totals.duplicates)", "conflicts": "\(totals.conflicts)",
                "skipped_lines": "\(totals.skipped)", "damaged_segments": "\(totals.damaged)",
            ])
        }
        var trailers: HTTPFields = [
            PlaybackResponses.batchesHeader: String(output.batches),
            PlaybackResponses.missingHeader: String(missing.missingCount),
            PlaybackResponses.conflictsHeader: String(totals.conflicts),
        ]
        if !missing.isEmpty { trailers[PlaybackResponses.gapsHeader] = missing.formatted(limit: 200) }
        try await writer.finish(trailers)
    }

    /// What a live segment played.
    struct LivePlayed {
        var seqs: [Int64] = []
        var duplicates = 0
        var conflicts = 0
        var skippedLines = 0
        var damaged = false
    }

    /// Plays one ordered segment as it decompresses. Its lines should ascend by seq; should one not
    /// (the flag is wrong), an identical copy of a batch already played is still left out and a
    /// different one is played where it stands (the player orders events by timestamp).
    /// `started` is called once its first events are written.
    ///
    /// A line whose seq is above every one played so far goes out while it still decodes (the first
    /// line of a recording holds the whole page snapshot, often hundreds of KiB): its events up to
    /// the bytes that may close the line (``BatchLineIndexer/openLine()``). Should that line then
    /// turn out not to be a batch line, or the segment be cut inside it, its start has been sent:
    /// the response is cut off (``PlaybackError`` `unavailable`) rather than sent as invalid JSON.
    func playLive(_ index: Int, body: S3ObjectStream?, output: inout ArrayWriter,
                  writer: inout any ResponseBodyWriter, started: () -> Void) async throws -> LivePlayed {
        var played = LivePlayed()
        guard let body else {
            played.damaged = true
            return played
        }
        defer { body.cancel() }
        let segment = segments[index]
        let decoder = try LiveSegmentDecoder(output: files[index], file: Int32(index), bufferSize: chunkSize)
        var emitted: [BatchLocation] = []
        var comparer = LocationReader(files: files)
        defer { comparer.closeAll() }
        /// The line being played while it decodes: its seq, its events' offset, and the end of what was sent.
        var partial: (seq: Int64, offset: Int64, sent: Int64)?
        let file = Int32(index)
        func cutInside(_ seq: Int64, _ problem: String) -> PlaybackError {
            logger.error("segment unplayable inside a batch already being sent; cutting the response off",
                         metadata: ["key": "\(segment.objectKey)", "seq": "\(seq)", "problem": "\(problem)"])
            return PlaybackError.unavailable("the session's recording is damaged inside batch \(seq), which was already being sent")
        }
        func play(_ location: BatchLocation, output: inout ArrayWriter, writer: inout any ResponseBodyWriter) async throws {
            if let last = emitted.last, location.seq <= last.seq {
                // Out of order: compare with the copies already played under this seq.
                let low = emitted.partitionPoint { $0.seq >= location.seq }
                var same = false, seen = false
                for kept in emitted[low...] where kept.seq == location.seq {
                    seen = true
                    if try comparer.same(kept, location) { same = true; break }
                }
                if same { played.duplicates += 1; return }
                if seen { played.conflicts += 1 }
                emitted.insert(location, at: emitted[low...].partitionPoint { $0.seq > location.seq })
            } else {
                emitted.append(location)
            }
            played.seqs.append(location.seq)
            try await output.append(location, to: &writer)
            started()
        }
        func advance(_ progress: LiveSegmentDecoder.Progress, output: inout ArrayWriter,
                     writer: inout any ResponseBodyWriter) async throws {
            for location in progress.locations {
                guard let open = partial else {
                    try await play(location, output: &output, writer: &writer)
                    continue
                }
                // The first line completed after a partly sent one must be that line.
                let end = location.offset + location.length
                guard location.offset == open.offset, end >= open.sent else {
                    throw cutInside(open.seq, "the line is not a batch line")
                }
                try await output.copy(file: file, offset: open.sent, length: end - open.sent, to: &writer)
                partial = nil
                emitted.append(location)
                played.seqs.append(location.seq)
            }
            guard let line = progress.open, line.safeEnd > line.contentOffset else { return }
            if let open = partial {
                guard line.safeEnd > open.sent else { return }
                try await output.copy(file: file, offset: open.sent, length: line.safeEnd - open.sent, to: &writer)
                partial?.sent = line.safeEnd
            } else if emitted.last.map({ line.seq > $0.seq }) ?? true {
                output.beginElement()
                try await output.copy(file: file, offset: line.contentOffset, length: line.safeEnd - line.contentOffset, to: &writer)
                partial = (line.seq, line.contentOffset, line.safeEnd)
                started()
            }
        }
        var pieces = body.makeAsyncIterator()
        var pieceSize = Self.firstLivePiece
        while true {
            let received: [UInt8]
            do {
                guard let next = try await pieces.next() else { break }
                received = next
            } catch {
                if Task.isCancelled { throw CancellationError() }  // the client went away
                logger.error("segment download failed while playing", metadata: ["key": "\(segment.objectKey)", "error": "\(error)"])
                throw PlaybackError.unavailable("the session's recording could not be read from S3 to the end")
            }
            // Pieces of at most `livePiece` compressed bytes (smaller at first), so that lines go
            // out while the rest of a large received chunk still waits to be decompressed.
            var start = 0
            while start < received.count {
                let piece = Array(received[start..<min(received.count, start + pieceSize)])
                start += piece.count
                pieceSize = min(Self.livePiece, pieceSize * 2)
                let progress = try await BlockingWork.run(on: Self.decodeQueue) { try decoder.feed(piece) }
                try await advance(progress, output: &output, writer: &writer)
            }
        }
        let end = try await BlockingWork.run(on: Self.decodeQueue) { decoder.finish() }
        try await advance(LiveSegmentDecoder.Progress(locations: end.locations), output: &output, writer: &writer)
        if let open = partial {
            throw cutInside(open.seq, end.damage ?? "the line did not end as a batch line")
        }
        played.skippedLines = end.skippedLines
        if let damage = end.damage {
            played.damaged = true
            logger.warning("segment damaged; using what decodes", metadata: ["key": "\(segment.objectKey)", "problem": "\(damage)"])
        }
        return played
    }

    /// Compressed bytes decompressed per step of a live segment (about 150 KiB of rrweb JSON).
    static let livePiece = 16 << 10
    /// The first step's size (doubling up to ``livePiece``): the first events leave after it.
    static let firstLivePiece = 4 << 10

    /// Live decoding of every stream of the process, off the cooperative pool and the event loops
    /// (concurrent: each stream's pieces are awaited one by one, so they stay in order).
    static let decodeQueue = DispatchQueue(label: "replayd-playback-decode", qos: .userInitiated, attributes: .concurrent)

    /// The trailing custom event: `{"type":5,"timestamp":…,"data":{"tag":"replayd.gap","payload":{…}}}`.
    static func gapEventJSON(_ gaps: SequenceGaps, timestamp: Int64) -> [UInt8] {
        let ranges = gaps.ranges.map { "[\($0.lowerBound),\($0.upperBound)]" }.joined(separator: ",")
        let message = "the recording is incomplete: \(gaps.missingCount) batch(es) never arrived (seq \(gaps.formatted(limit: 20)))"
        let json = "{\"type\":5,\"timestamp\":\(timestamp),\"data\":{\"tag\":\"\(gapTag)\",\"payload\":{"
            + "\"missing\":\"\(gaps.formatted())\",\"missingBatches\":\(gaps.missingCount),\"ranges\":[\(ranges)],"
            + "\"message\":\(JSONText.quoted(message))}}}"
        return Array(json.utf8)
    }
}

extension Collection {
    /// The first index whose element satisfies `predicate`, which must be false then true along the collection.
    func partitionPoint(_ predicate: (Element) throws -> Bool) rethrows -> Index {
        var low = startIndex
        var count = self.count
        while count > 0 {
            let half = count / 2
            let middle = index(low, offsetBy: half)
            if try predicate(self[middle]) {
                count = half
            } else {
                low = index(after: middle)
                count -= half + 1
            }
        }
        return low
    }
}
