import CZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams data into a gzip file.
///
/// Opening an existing file appends a **new gzip member** (RFC 1952 allows concatenated members;
/// `gzip -d`, Python's `gzip` and ``GzipFileReader`` read them as one stream). The file is opened
/// `O_WRONLY | O_CREAT | O_APPEND` with mode `0o644`.
///
/// Durability model:
/// - ``write(_:)-(UnsafeRawBufferPointer)`` compresses into a bounded buffer (`bufferSize`) and writes
///   it to the file whenever it fills; nothing else is buffered in Swift.
/// - ``flush()`` performs a `Z_SYNC_FLUSH` and writes everything: from then on, all bytes written so far
///   can be decompressed from the file (by ``GzipFileReader`` with `allowTruncatedTail: true`, or by
///   `gzip -dc`, which prints them and then complains about the missing end).
/// - ``sync()`` `fsync`s the file; call it after `flush()` for data that must survive a power loss.
/// - ``finish()`` writes the member's trailer and closes the file.
///
/// If the process dies before `finish()`, the file ends in an unfinished member. Appending a new member
/// after such a tail makes everything after it unreadable; recover the file first with
/// `GzipFileReader(path:allowTruncatedTail: true)` and write the recovered data to a fresh file.
/// Dropping a writer without `finish()` closes the file without writing pending data or a trailer
/// (the same state as a crash).
///
/// After an I/O error (e.g. `ENOSPC`) the file may hold a partial write; the writer then refuses further
/// writes and rethrows that error. Only one writer (in any process) may append to a file at a time.
///
/// Single owner: the type is deliberately not `Sendable`; use one instance from one task at a time.
/// zlib's state lives in the ``GzipCompressor`` and is freed exactly once, with it.
public final class GzipFileWriter {
    /// The file being written.
    public let path: String
    private var fd: Int32
    /// The zlib state and buffer this writer uses; reusable by another writer after ``finish()``.
    public let compressor: GzipCompressor
    private var stream: DeflateStream { compressor.stream }
    private var output: UnsafeMutableRawBufferPointer { compressor.output }
    private var filled = 0
    private var finished = false
    private var failure: GzipError?
    private let initialSize: Int64
    private var compressedBytesWritten: Int64 = 0

    /// Input bytes given to this writer so far.
    public private(set) var uncompressedBytesWritten: Int64 = 0

    /// Bytes in the file now, including earlier members (compressed output still in this writer's
    /// buffer is not counted until it is written; ``flush()`` writes it).
    public var fileSize: Int64 { initialSize + compressedBytesWritten }

    /// Opens (or creates) `path` for appending a new gzip member.
    /// - Parameters:
    ///   - level: zlib level 0...9 (6 matches `gzip -6`).
    ///   - bufferSize: compressed output buffer; data reaches the file in writes of this size (default 64 KiB).
    public convenience init(path: String, level: Int32 = 6, bufferSize: Int = 65_536) throws {
        try self.init(path: path, compressor: GzipCompressor(level: level, bufferSize: bufferSize))
    }

    /// Opens (or creates) `path` for appending a new gzip member made with `compressor` (whose
    /// previous writer, if any, has finished).
    public init(path: String, compressor: GzipCompressor) throws {
        self.path = path
        let fd = try FileIO.openFile(path, flags: O_WRONLY | O_CREAT | O_APPEND, mode: 0o644, operation: "open for appending")
        do {
            initialSize = try FileIO.fileSize(fd, path: path)
            try compressor.begin()
        } catch {
            _ = close(fd)
            throw error
        }
        self.fd = fd
        self.compressor = compressor
    }

    deinit {
        if !finished { _ = close(fd) }
    }

    /// Compresses `bytes` into the file (buffered; see ``flush()``).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try checkWritable()
        var offset = 0
        let count = bytes.count
        while offset < count {
            let chunk = min(count - offset, DeflateStream.maxChunk)
            stream.stream.pointee.next_in = UnsafeMutablePointer(
                mutating: bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: Bytef.self))
            stream.stream.pointee.avail_in = uInt(chunk)
            try run(Z_NO_FLUSH)
            offset += chunk
            uncompressedBytesWritten += Int64(chunk)
        }
    }

    /// Compresses `bytes` into the file (buffered; see ``flush()``).
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// `Z_SYNC_FLUSH` and write everything to the file: all bytes written so far become decompressible
    /// from the file. Costs ~5–10 bytes and some compression ratio per call; flush at batch boundaries.
    /// Does not `fsync`; see ``sync()``.
    public func flush() throws {
        try checkWritable()
        stream.stream.pointee.next_in = nil
        stream.stream.pointee.avail_in = 0
        try run(Z_SYNC_FLUSH)
        try drainPending()
    }

    /// `fsync(2)`s the file, making what has been *written to it* durable (call ``flush()`` first).
    /// After ``finish()`` it reopens the path to sync the finished file.
    public func sync() throws {
        if let failure { throw failure }
        if finished {
            let fd = try FileIO.openFile(path, flags: O_RDONLY, operation: "open for fsync")
            defer { _ = close(fd) }
            try FileIO.fsyncFile(fd, path: path)
        } else {
            try FileIO.fsyncFile(fd, path: path)
        }
    }

    /// Completes the member (`Z_FINISH`: final block and CRC/length trailer), writes it, and closes the
    /// file. Idempotent: later calls do nothing. If an earlier call failed, this closes the file and
    /// rethrows that failure (once). Afterwards (returned or thrown) the writer no longer touches its
    /// ``compressor``, which another writer may take.
    public func finish() throws {
        if finished { return }
        finished = true
        if let failure {
            _ = close(fd)
            throw failure
        }
        do {
            stream.stream.pointee.next_in = nil
            stream.stream.pointee.avail_in = 0
            try run(Z_FINISH)
            try drainPending()
        } catch {
            _ = close(fd)
            throw error
        }
        try FileIO.closeFile(fd, path: path)
    }

    // MARK: internals

    private func checkWritable() throws(GzipError) {
        if let failure { throw failure }
        if finished { throw GzipError.closed("GzipFileWriter for \(path)") }
    }

    private func run(_ mode: Int32) throws {
        do {
            try stream.run(mode: mode, output: output, filled: &filled) { full in
                try FileIO.writeAll(fd, full, path: path)
                compressedBytesWritten += Int64(full.count)
            }
        } catch let error as GzipError {
            failure = error
            throw error
        }
    }

    private func drainPending() throws {
        guard filled > 0 else { return }
        do {
            try FileIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: output[0..<filled]), path: path)
        } catch {
            failure = error
            throw error
        }
        compressedBytesWritten += Int64(filled)
        filled = 0
    }
}

@available(*, unavailable, message: "GzipFileWriter is single-owner mutable state around a file and a zlib stream")
extension GzipFileWriter: Sendable {}
