import CZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a gzip file (one or more concatenated members) and streams its decompressed content.
///
/// Memory is bounded: one read buffer and one output buffer of `bufferSize` bytes plus zlib's state,
/// whatever the file size. Output is capped at `maxOutputBytes` (see ``GzipInflater``).
///
/// **Crash recovery** (`allowTruncatedTail: true`): a file whose last member was cut off (a
/// ``GzipFileWriter`` that never reached `finish()`), or that ends in bytes that do not decode (e.g. a
/// zero-filled tail after a power loss), is not an error. The reader delivers exactly the data up to the
/// **last complete flush point** — the end of the last whole member or of the last `Z_SYNC_FLUSH`/
/// `Z_FULL_FLUSH` marker (``GzipFileWriter/flush()``) — and drops the rest; ``Summary`` says what was
/// dropped. To know where that point is before delivering anything, this mode reads and decompresses
/// the file twice (the first pass discards its output). In this mode the cap counts every byte decoded,
/// including a tail that is then dropped. Corruption in the middle of a file also ends the data there:
/// check ``Summary/tail`` and ``Summary/discardedTailBytes`` if that matters.
///
/// (A flush point is recognised as a block boundary at a byte boundary that was preceded by the bytes
/// `00 00 FF FF`; in rare cases a stored block whose content ends in those bytes is taken for one. The
/// data delivered is then a little longer, but is still exactly what was written.)
public struct GzipFileReader: Sendable {
    /// What a ``read(into:)`` delivered and, with `allowTruncatedTail`, what it dropped.
    public struct Summary: Sendable, Equatable {
        /// Decompressed bytes passed to the sink.
        public var bytesDelivered: Int
        /// Compressed bytes at the end of the file that were not used (0 for a complete file).
        public var discardedTailBytes: Int64
        /// Why a tail was dropped: `.truncated` (ended inside a member) or `.corrupt`; nil if none was.
        public var tail: GzipError.Kind?

        public init(bytesDelivered: Int, discardedTailBytes: Int64, tail: GzipError.Kind?) {
            self.bytesDelivered = bytesDelivered
            self.discardedTailBytes = discardedTailBytes
            self.tail = tail
        }
    }

    public let path: String
    public let maxOutputBytes: Int
    public let bufferSize: Int
    public let allowTruncatedTail: Bool

    public init(path: String, maxOutputBytes: Int = .max, bufferSize: Int = 65_536, allowTruncatedTail: Bool = false) {
        self.path = path
        self.maxOutputBytes = max(0, maxOutputBytes)
        self.bufferSize = max(bufferSize, 64)
        self.allowTruncatedTail = allowTruncatedTail
    }

    /// Decompresses the whole file into `sink` (pieces of at most `bufferSize` bytes, valid only during the call).
    /// - Throws: ``GzipError`` `.io`, `.corrupt`, `.truncated` (only without `allowTruncatedTail`),
    ///   `.outputLimitExceeded` (after delivering exactly `maxOutputBytes` bytes), or what `sink` throws.
    @discardableResult
    public func read(into sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Summary {
        guard allowTruncatedTail else {
            let delivered = try decode(limit: nil, sink: sink)
            return Summary(bytesDelivered: delivered, discardedTailBytes: 0, tail: nil)
        }
        let scan = try scanForLastFlushPoint()
        guard let tail = scan.tail else {
            let delivered = try decode(limit: nil, sink: sink)
            return Summary(bytesDelivered: delivered, discardedTailBytes: 0, tail: nil)
        }
        let delivered = try decode(limit: scan.safeOut, sink: sink)
        return Summary(bytesDelivered: delivered, discardedTailBytes: scan.fileBytes - scan.safeIn, tail: tail)
    }

    // MARK: internals

    private struct StopReading: Error {}

    /// Decodes the file into `sink`; with a `limit`, stops quietly after exactly `limit` bytes.
    private func decode(limit: Int?, sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let fd = try FileIO.openFile(path, flags: O_RDONLY, operation: "open")
        defer { _ = close(fd) }
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { input.deallocate() }
        let inflater = GzipInflater(maxOutputBytes: maxOutputBytes, bufferSize: bufferSize, source: path)

        if let limit {
            var remaining = limit
            guard remaining > 0 else { return 0 }
            do {
                while true {
                    let n = try FileIO.readSome(fd, into: input, path: path)
                    if n == 0 { break }
                    try inflater.decompress(UnsafeRawBufferPointer(rebasing: input[0..<n])) { piece in
                        if piece.count >= remaining {
                            try sink(UnsafeRawBufferPointer(rebasing: piece[0..<remaining]))
                            remaining = 0
                            throw StopReading()
                        }
                        try sink(piece)
                        remaining -= piece.count
                    }
                }
            } catch is StopReading {}
            return limit - remaining
        }

        while true {
            let n = try FileIO.readSome(fd, into: input, path: path)
            if n == 0 { break }
            try inflater.decompress(UnsafeRawBufferPointer(rebasing: input[0..<n]), into: sink)
        }
        try inflater.finish()
        return inflater.totalOut
    }

    private struct Scan {
        var safeOut = 0
        var safeIn: Int64 = 0
        var fileBytes: Int64 = 0
        var tail: GzipError.Kind?
    }

    /// First pass of crash recovery: decode with `Z_BLOCK` (stopping at each deflate block boundary),
    /// discarding output, and remember the output/input positions of the last member end or sync-flush marker.
    private func scanForLastFlushPoint() throws -> Scan {
        let fd = try FileIO.openFile(path, flags: O_RDONLY, operation: "open")
        defer { _ = close(fd) }
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { input.deallocate() }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { output.deallocate() }
        let stream = try InflateStream()
        let z = stream.stream

        var scan = Scan()
        var totalOut = 0
        var totalIn: Int64 = 0
        var inMember = false
        var needsReset = false
        var lastFour: UInt32 = 0  // the last 4 input bytes consumed, most recent in the low byte

        reading: while true {
            let n = try FileIO.readSome(fd, into: input, path: path)
            if n == 0 { break }
            scan.fileBytes += Int64(n)
            z.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            z.pointee.avail_in = uInt(n)
            while true {
                if z.pointee.avail_in > 0 {
                    if needsReset {
                        try stream.reset()
                        needsReset = false
                    }
                    inMember = true
                }
                z.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                z.pointee.avail_out = uInt(output.count)
                let availIn = z.pointee.avail_in
                let status = inflate(z, Z_BLOCK)
                let consumed = Int(availIn - z.pointee.avail_in)
                if consumed > 0 {
                    var p = z.pointee.next_in! - min(consumed, 4)
                    while p < z.pointee.next_in! {
                        lastFour = lastFour << 8 | UInt32(p.pointee)
                        p += 1
                    }
                }
                totalIn += Int64(consumed)
                totalOut += output.count - Int(z.pointee.avail_out)
                if totalOut > maxOutputBytes { throw GzipError.outputLimitExceeded(maxOutputBytes) }
                switch status {
                case Z_STREAM_END:
                    inMember = false
                    needsReset = true
                    scan.safeOut = totalOut
                    scan.safeIn = totalIn
                    if z.pointee.avail_in == 0 { continue reading }
                case Z_OK:
                    let dataType = z.pointee.data_type
                    if dataType & 128 != 0 && dataType & 63 == 0 && lastFour == 0x0000_FFFF {
                        scan.safeOut = totalOut
                        scan.safeIn = totalIn
                    }
                    if z.pointee.avail_in == 0 && z.pointee.avail_out != 0 { continue reading }
                case Z_BUF_ERROR where z.pointee.avail_in == 0:
                    continue reading
                case Z_DATA_ERROR, Z_NEED_DICT:
                    scan.tail = .corrupt
                    scan.fileBytes = try FileIO.fileSize(fd, path: path)
                    return scan
                default:
                    throw GzipError.zlib(status, "decompression", detail: stream.message)
                }
            }
        }
        // At the end of the file inflate may still hold bits of input it has consumed (Z_BLOCK stops
        // at each block boundary): run it on them until it can make no progress, so a bad block
        // header in the last bytes is found corrupt, as the strict read finds it, not taken for a cut.
        var steps = 0
        while inMember {
            steps += 1
            z.pointee.avail_in = 0
            z.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            z.pointee.avail_out = uInt(output.count)
            let status = inflate(z, Z_BLOCK)
            let produced = output.count - Int(z.pointee.avail_out)
            totalOut += produced
            if totalOut > maxOutputBytes { throw GzipError.outputLimitExceeded(maxOutputBytes) }
            switch status {
            case Z_STREAM_END:
                inMember = false
                scan.safeOut = totalOut
                scan.safeIn = totalIn
            case Z_OK where steps < 1024:
                continue  // progress (zlib answers Z_BUF_ERROR when it can make none)
            case Z_OK, Z_BUF_ERROR:
                scan.tail = .truncated
                return scan
            case Z_DATA_ERROR, Z_NEED_DICT:
                scan.tail = .corrupt
                return scan
            default:
                throw GzipError.zlib(status, "decompression", detail: stream.message)
            }
        }
        return scan
    }
}
