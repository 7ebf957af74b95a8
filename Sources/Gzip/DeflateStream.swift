import CZlib

/// Owns one zlib deflate state producing gzip output. Internal building block of ``GzipDeflater``
/// and ``GzipFileWriter``; single-owner, not thread-safe. `deflateEnd` runs exactly once, in `end()`
/// or `deinit`, whichever comes first.
final class DeflateStream {
    /// Largest `avail_in` handed to zlib at once (`uInt` is 32-bit).
    static let maxChunk = 1 << 30

    let stream: UnsafeMutablePointer<z_stream>
    private var ended = false

    init(level: Int32) throws(GzipError) {
        // Set up zlib on a local pointer first: if this initializer throws, `deinit` does not run
        // and the pointer is freed here, exactly once.
        let pointer = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        pointer.initialize(to: z_stream())
        let status = czlib_deflate_init_gzip(pointer, level)
        guard status == Z_OK else {
            pointer.deinitialize(count: 1)
            pointer.deallocate()
            if status == Z_STREAM_ERROR {
                throw GzipError.zlib(status, "deflate setup", detail: "compression level \(level) is not in 0...9 (or -1 for the default)")
            }
            throw GzipError.zlib(status, "deflate setup")
        }
        stream = pointer
    }

    /// Runs `deflate` with `mode` over the input already set in `next_in`/`avail_in` (at most
    /// ``maxChunk`` bytes), writing into `output` starting at `filled` and calling `drain` with the
    /// whole buffer whenever it is full (after which `filled` restarts at 0).
    ///
    /// Returns when all input is consumed and, for `Z_SYNC_FLUSH`/`Z_FULL_FLUSH`, the flush is
    /// complete, or for `Z_FINISH`, the stream has ended. Output left in the buffer is counted in `filled`.
    @inline(__always)
    func run(
        mode: Int32,
        output: UnsafeMutableRawBufferPointer,
        filled: inout Int,
        drain: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let capacity = output.count
        let base = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        while true {
            if filled == capacity {
                try drain(UnsafeRawBufferPointer(output))
                filled = 0
            }
            stream.pointee.next_out = base + filled
            stream.pointee.avail_out = uInt(capacity - filled)
            let status = deflate(stream, mode)
            filled = capacity - Int(stream.pointee.avail_out)
            switch status {
            case Z_STREAM_END:
                return
            case Z_OK, Z_BUF_ERROR:
                // More output space is needed while avail_out == 0. Otherwise, for Z_NO_FLUSH and the
                // flushes, we are done once all input is consumed. Z_BUF_ERROR only means "no progress
                // was possible" (e.g. a second flush with nothing new), which is not an error.
                if stream.pointee.avail_out != 0 {
                    if mode == Z_FINISH {
                        if status == Z_BUF_ERROR { throw GzipError.zlib(status, "compression finish", detail: message) }
                    } else if stream.pointee.avail_in == 0 {
                        return
                    }
                }
            default:
                throw GzipError.zlib(status, "compression", detail: message)
            }
        }
    }

    /// zlib's last error text, if any.
    var message: String? { stream.pointee.msg.map { String(cString: $0) } }

    /// Frees zlib's state now (idempotent); further use is a programming error.
    func end() {
        guard !ended else { return }
        ended = true
        deflateEnd(stream)
    }

    deinit {
        end()
        stream.deinitialize(count: 1)
        stream.deallocate()
    }
}
