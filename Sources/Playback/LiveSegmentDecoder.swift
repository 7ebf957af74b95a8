import HTTPSupport
import Gzip
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decompresses a segment as its bytes arrive from S3, writing the decompressed lines to a file and
/// handing back the batch lines completed by each piece, so they can be played before the segment is
/// whole. Each call blocks (zlib, `write`): run it through ``BlockingWork``. Calls are made one at a
/// time, in order; the state sits behind a lock so the decoder can move between threads.
final class LiveSegmentDecoder: Sendable {
    private struct State: ~Copyable {
        let fd: Int32
        let path: String
        let inflater: GzipInflater
        var indexer: BatchLineIndexer
        var damage: String?
        var closed = false
    }

    private let state: Mutex<State>

    /// Creates (truncates) `output`; `file` is the segment's number in the stream's file list.
    init(output: String, file: Int32, bufferSize: Int) throws {
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PlaybackError.unavailable("cannot create \(output) (errno \(errno))") }
        state = Mutex(State(fd: fd, path: output, inflater: GzipInflater(bufferSize: bufferSize),
                            indexer: BatchLineIndexer(file: file)))
    }

    deinit {
        state.withLock { state in
            if !state.closed { close(state.fd) }
        }
    }

    /// What one piece decoded: the batch lines it completed and the line still open after them.
    struct Progress: Sendable {
        var locations: [BatchLocation] = []
        /// The incomplete line whose head is in (see ``BatchLineIndexer/openLine()``), in offsets of
        /// the output file: its seq, its events' first byte, and the end of its bytes already
        /// written that are events if the line turns out a batch line.
        var open: (seq: Int64, contentOffset: Int64, safeEnd: Int64)?
    }

    /// Decodes the next compressed piece; returns the batch lines it completed and the line left
    /// open. After damage (undecodable bytes) the rest of the segment is ignored: what decoded
    /// before is kept.
    func feed(_ compressed: [UInt8]) throws -> Progress {
        try state.withLock { state throws -> Progress in
            guard state.damage == nil, !state.closed else { return Progress() }
            let fd = state.fd, path = state.path
            var indexer = state.indexer
            defer { state.indexer = indexer }
            do {
                try state.inflater.decompress(compressed) { piece in
                    try SegmentDecoder.writeAll(fd, piece, path: path)
                    indexer.consume(piece)
                }
            } catch let error as GzipError {
                state.damage = error.message
            }
            return Progress(locations: indexer.takeLocations(), open: state.damage == nil ? indexer.openLine() : nil)
        }
    }

    /// Ends the segment: returns the lines completed last, lines that were not batch lines, and the
    /// damage (a cut-off or undecodable file), if any. Closes the output file.
    func finish() -> (locations: [BatchLocation], skippedLines: Int, damage: String?) {
        state.withLock { state in
            if state.damage == nil {
                do { try state.inflater.finish() } catch { state.damage = (error as? GzipError)?.message ?? "\(error)" }
            }
            state.indexer.finish()
            if !state.closed {
                close(state.fd)
                state.closed = true
            }
            return (state.indexer.takeLocations(), state.indexer.skippedLines, state.damage)
        }
    }
}
