#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, retrying wrappers over POSIX file calls that report failures as ``GzipError``.
enum FileIO {
    static func openFile(_ path: String, flags: Int32, mode: mode_t = 0, operation: String) throws(GzipError) -> Int32 {
        while true {
            let fd = open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            let code = errno
            if code != EINTR { throw GzipError.io(code, operation, path: path) }
        }
    }

    /// Writes all of `bytes`, retrying short writes and `EINTR`.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(GzipError) {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 {
                offset += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                throw GzipError.io(n < 0 ? errno : EIO, "write to", path: path)
            }
        }
    }

    /// Reads up to `buffer.count` bytes; 0 means end of file.
    static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(GzipError) -> Int {
        while true {
            let n = read(fd, buffer.baseAddress!, buffer.count)
            if n >= 0 { return n }
            let code = errno
            if code != EINTR { throw GzipError.io(code, "read", path: path) }
        }
    }

    static func fileSize(_ fd: Int32, path: String) throws(GzipError) -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw GzipError.io(errno, "stat", path: path) }
        return Int64(info.st_size)
    }

    static func fsyncFile(_ fd: Int32, path: String) throws(GzipError) {
        while fsync(fd) != 0 {
            let code = errno
            if code != EINTR { throw GzipError.io(code, "fsync", path: path) }
        }
    }

    /// Closes `fd`. `EINTR` is not retried (on Linux the descriptor is already released).
    static func closeFile(_ fd: Int32, path: String) throws(GzipError) {
        if close(fd) != 0 && errno != EINTR { throw GzipError.io(errno, "close", path: path) }
    }
}
