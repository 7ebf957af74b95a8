import CZlib

/// An in-memory streaming gzip compressor (HTTP responses, tests, building payloads).
///
/// Feed input with ``compress(_:flush:into:)`` and complete the gzip member with ``finish(into:)``.
/// Compressed bytes are handed to the sink in pieces of at most `bufferSize` bytes as they are produced;
/// the sink's buffer is only valid during the call. Nothing is accumulated: memory stays at zlib's
/// state (~260 KiB at the default memLevel) plus one output buffer.
///
/// Single owner: the type is deliberately not `Sendable`; use one instance from one task at a time.
/// zlib's state is freed exactly once, at `finish` or `deinit`.
public final class GzipDeflater {
    private let stream: DeflateStream?
    private let setupError: GzipError?
    private let output: UnsafeMutableRawBufferPointer
    private var finished = false

    /// - Parameters:
    ///   - level: zlib level 0 (store) ... 9 (best); 6 is gzip's default. An invalid level makes every call throw.
    ///   - bufferSize: size of the output buffer handed to the sink (default 64 KiB).
    public init(level: Int32 = 6, bufferSize: Int = 65_536) {
        do {
            stream = try DeflateStream(level: level)
            setupError = nil
        } catch {
            stream = nil
            setupError = error
        }
        output = .allocate(byteCount: max(bufferSize, 64), alignment: 16)
    }

    deinit {
        output.deallocate()
    }

    /// Compresses `input`, passing any compressed output to `sink`.
    /// - Parameter flush: if true, performs a `Z_SYNC_FLUSH`: everything so far becomes decompressible
    ///   from the output (costs a few bytes and some ratio; use at message boundaries only).
    public func compress(_ input: UnsafeRawBufferPointer, flush: Bool = false, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let stream = try live()
        var filled = 0
        var offset = 0
        let count = input.count
        repeat {
            let chunk = min(count - offset, DeflateStream.maxChunk)
            stream.stream.pointee.next_in = chunk == 0 ? nil
                : UnsafeMutablePointer(mutating: input.baseAddress!.advanced(by: offset).assumingMemoryBound(to: Bytef.self))
            stream.stream.pointee.avail_in = uInt(chunk)
            offset += chunk
            let mode = (flush && offset == count) ? Z_SYNC_FLUSH : Z_NO_FLUSH
            try stream.run(mode: mode, output: output, filled: &filled, drain: sink)
        } while offset < count
        if filled > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0..<filled])) }
    }

    /// Compresses `input` (convenience for arrays).
    public func compress(_ input: [UInt8], flush: Bool = false, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try input.withUnsafeBytes { try compress($0, flush: flush, into: sink) }
    }

    /// Completes the gzip member (final block and CRC/length trailer), passing the rest of the output to
    /// `sink`, and frees zlib's state. Idempotent: later calls do nothing; ``compress(_:flush:into:)``
    /// after `finish` throws ``GzipError/Kind/closed``.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if finished { return }
        let stream = try live()
        stream.stream.pointee.next_in = nil
        stream.stream.pointee.avail_in = 0
        var filled = 0
        try stream.run(mode: Z_FINISH, output: output, filled: &filled, drain: sink)
        finished = true
        stream.end()
        if filled > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0..<filled])) }
    }

    private func live() throws(GzipError) -> DeflateStream {
        if let setupError { throw setupError }
        guard !finished, let stream else { throw GzipError.closed("GzipDeflater") }
        return stream
    }
}

@available(*, unavailable, message: "GzipDeflater is single-owner mutable state around a zlib stream")
extension GzipDeflater: Sendable {}
