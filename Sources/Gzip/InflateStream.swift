import CZlib

/// Owns one zlib inflate state (gzip or zlib input, detected per member). Internal building block of
/// ``GzipInflater`` and ``GzipFileReader``; single-owner, not thread-safe. `inflateEnd` runs exactly
/// once, in `deinit`.
final class InflateStream {
    static let maxChunk = 1 << 30

    let stream: UnsafeMutablePointer<z_stream>

    init() throws(GzipError) {
        // Set up zlib on a local pointer first: if this initializer throws, `deinit` does not run
        // and the pointer is freed here, exactly once.
        let pointer = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        pointer.initialize(to: z_stream())
        let status = czlib_inflate_init_auto(pointer)
        guard status == Z_OK else {
            pointer.deinitialize(count: 1)
            pointer.deallocate()
            throw GzipError.zlib(status, "inflate setup")
        }
        stream = pointer
    }

    /// zlib's last error text, if any.
    var message: String? { stream.pointee.msg.map { String(cString: $0) } }

    /// Prepares for the next concatenated member.
    func reset() throws(GzipError) {
        let status = inflateReset(stream)
        if status != Z_OK { throw GzipError.zlib(status, "inflate reset") }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }
}
