import CZlib

/// A streaming gzip decompressor with an output cap.
///
/// - Handles concatenated members (as written by ``GzipFileWriter`` reopening a file), and zlib-wrapped
///   input (detected from each member's header).
/// - Output reaches the sink in pieces of at most `bufferSize` bytes, valid only during the call;
///   nothing is accumulated, so memory stays at zlib's state (~40 KiB) plus the buffer.
/// - Output cap: as soon as the total output would exceed `maxOutputBytes`, the inflater delivers the
///   bytes up to the cap exactly and throws ``GzipError/Kind/outputLimitExceeded(limit:)`` — a gzip bomb
///   costs at most one buffer of work past the cap. Any error is sticky: later calls rethrow it.
/// - Input may be split anywhere; call ``finish()`` at the end of input to detect truncation.
///
/// Trailing bytes after a member that are not another gzip member are reported as corrupt
/// (stricter than `gzip -d`, which ignores trailing zeros with a warning).
///
/// Single owner: the type is deliberately not `Sendable`; use one instance from one task at a time.
public final class GzipInflater {
    private let stream: InflateStream?
    private let output: UnsafeMutableRawBufferPointer
    private let maxOutputBytes: Int
    private var failure: GzipError?
    /// True while input of a member has been consumed but its end not yet reached.
    private var inMember = false
    /// True after a member ended: the stream needs `inflateReset` before more input.
    private var needsReset = false
    private var finished = false
    /// Optional description of the input (e.g. a path) used in error messages.
    let source: String?

    /// Decompressed bytes delivered so far.
    public private(set) var totalOut: Int = 0
    /// Compressed bytes consumed so far.
    public private(set) var totalIn: Int = 0

    /// - Parameters:
    ///   - maxOutputBytes: the most decompressed bytes this inflater will deliver before throwing.
    ///   - bufferSize: output buffer size (default 64 KiB).
    public convenience init(maxOutputBytes: Int = .max, bufferSize: Int = 65_536) {
        self.init(maxOutputBytes: maxOutputBytes, bufferSize: bufferSize, source: nil)
    }

    init(maxOutputBytes: Int, bufferSize: Int, source: String?) {
        self.maxOutputBytes = max(0, maxOutputBytes)
        self.source = source
        do {
            stream = try InflateStream()
        } catch {
            stream = nil
            failure = error
        }
        output = .allocate(byteCount: max(bufferSize, 64), alignment: 16)
    }

    deinit {
        output.deallocate()
    }

    /// Decompresses `input`, passing output to `sink`.
    /// - Throws: ``GzipError`` `.corrupt`, `.outputLimitExceeded(limit:)`, or whatever `sink` throws
    ///   (which also makes the inflater unusable).
    public func decompress(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if let failure { throw failure }
        guard !finished, let stream else { throw GzipError.closed("GzipInflater") }
        var offset = 0
        let count = input.count
        do {
            while offset < count {
                let chunk = min(count - offset, InflateStream.maxChunk)
                let z = stream.stream
                z.pointee.next_in = UnsafeMutablePointer(
                    mutating: input.baseAddress!.advanced(by: offset).assumingMemoryBound(to: Bytef.self))
                z.pointee.avail_in = uInt(chunk)
                try run(stream, sink: sink)
                offset += chunk
            }
        } catch {
            failure = (error as? GzipError) ?? GzipError.closed("GzipInflater (after its sink threw)")
            throw error
        }
    }

    /// Decompresses `input` (convenience for arrays).
    public func decompress(_ input: [UInt8], into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try input.withUnsafeBytes { try decompress($0, into: sink) }
    }

    /// Declares the end of input. Throws ``GzipError/Kind/truncated`` if the input ended inside a
    /// member (or rethrows an earlier failure). Empty input is accepted as zero members.
    public func finish() throws {
        if let failure { throw failure }
        finished = true
        if inMember { throw GzipError.truncated(source: source) }
    }

    /// True if the input so far ended exactly at a member boundary (or was empty).
    var isAtMemberBoundary: Bool { !inMember }

    private func run(_ stream: InflateStream, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let z = stream.stream
        let base = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        while true {
            if z.pointee.avail_in > 0 {
                if needsReset {
                    try stream.reset()
                    needsReset = false
                }
                inMember = true
            }
            // Ask for one byte more than the cap allows, so reaching the cap exactly is not an error.
            let allowance = maxOutputBytes - totalOut
            let space = allowance >= output.count ? output.count : allowance + 1
            z.pointee.next_out = base
            z.pointee.avail_out = uInt(space)
            let availIn = z.pointee.avail_in
            let status = inflate(z, Z_NO_FLUSH)
            totalIn += Int(availIn - z.pointee.avail_in)
            let produced = space - Int(z.pointee.avail_out)
            if produced > allowance {
                if allowance > 0 { try sink(UnsafeRawBufferPointer(start: output.baseAddress, count: allowance)) }
                totalOut += allowance
                throw GzipError.outputLimitExceeded(maxOutputBytes)
            }
            if produced > 0 {
                try sink(UnsafeRawBufferPointer(start: output.baseAddress, count: produced))
                totalOut += produced
            }
            switch status {
            case Z_STREAM_END:
                inMember = false
                needsReset = true
                if z.pointee.avail_in == 0 { return }
            case Z_OK:
                if z.pointee.avail_in == 0 && z.pointee.avail_out != 0 { return }
            case Z_BUF_ERROR where z.pointee.avail_in == 0:
                // No progress possible: all input consumed and output flushed.
                return
            case Z_DATA_ERROR, Z_NEED_DICT:
                throw GzipError.corrupt(stream.message, source: source)
            default:
                throw GzipError.zlib(status, "decompression", detail: stream.message)
            }
        }
    }
}

@available(*, unavailable, message: "GzipInflater is single-owner mutable state around a zlib stream")
extension GzipInflater: Sendable {}
