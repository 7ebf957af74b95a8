import HTTPSupport
import Gzip
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decompresses one downloaded segment to an uncompressed file and indexes its batch lines
/// (blocking; run it through ``BlockingIO``). Memory: zlib's buffers plus 32 bytes per batch.
enum SegmentDecoder {
    struct Result: Sendable {
        var locations: [BatchLocation]
        var skippedLines: Int
        /// Set when the file ended early or held undecodable bytes: what was decoded before is kept.
        var damage: String?
    }

    static func decode(compressed: String, to output: String, file: Int32, bufferSize: Int) throws -> Result {
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw PlaybackError.unavailable("cannot create \(output) (errno \(errno))")
        }
        defer { close(fd) }
        var indexer = BatchLineIndexer(file: file)
        var damage: String?
        do {
            try GzipFileReader(path: compressed, bufferSize: bufferSize).read { piece in
                try writeAll(fd, piece, path: output)
                indexer.consume(piece)
            }
        } catch let error as GzipError {
            if case .io = error.kind { throw PlaybackError.unavailable("cannot read a downloaded segment: \(error.message)") }
            damage = error.message
        }
        indexer.finish()
        return Result(locations: indexer.locations, skippedLines: indexer.skippedLines, damage: damage)
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = write(fd, pointer, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw PlaybackError.unavailable("cannot write \(path) (errno \(errno)); is the temporary directory full?")
            }
            pointer += written
            remaining -= written
        }
    }
}
