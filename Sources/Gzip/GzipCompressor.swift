import CZlib

/// A zlib deflate state producing gzip members, with its output buffer, that one ``GzipFileWriter``
/// after another can use: a writer started with it resets it (`deflateReset`, a new gzip member)
/// instead of allocating ~300 KiB of zlib state and buffer and faulting it in. The spool keeps a few
/// of them for its least-recently-used compressors, so memory does not churn as sessions come and go.
///
/// Hand a compressor to a new writer only after the previous writer's ``GzipFileWriter/finish()``
/// returned or threw; from then on that writer never touches it again. Single owner, not `Sendable`.
public final class GzipCompressor {
    let stream: DeflateStream
    let output: UnsafeMutableRawBufferPointer
    /// zlib level 0...9.
    public let level: Int32
    private var used = false

    /// - Parameters:
    ///   - level: zlib level 0...9 (6 matches `gzip -6`).
    ///   - bufferSize: compressed output buffer; data reaches the file in writes of this size.
    public init(level: Int32 = 6, bufferSize: Int = 65_536) throws {
        stream = try DeflateStream(level: level)
        self.level = level
        output = .allocate(byteCount: max(bufferSize, 64), alignment: 16)
    }

    deinit {
        output.deallocate()
    }

    /// Readies the state for a new gzip member (a no-op the first time).
    func begin() throws(GzipError) {
        if used {
            let status = deflateReset(stream.stream)
            guard status == Z_OK else { throw GzipError.zlib(status, "deflate reset") }
        }
        used = true
    }
}

@available(*, unavailable, message: "GzipCompressor is single-owner mutable zlib state")
extension GzipCompressor: Sendable {}
