import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One temporary file per process that each input is written to (readers under test take a path).
/// Removed at a normal exit; after a crash it stays in the temporary directory (scripts/fuzz points
/// `TMPDIR` into `.build-fuzz`).
final class ScratchFile: Sendable {
    let path: String
    let fd: Int32

    init() {
        path = NSTemporaryDirectory() + "/replayd-fuzz-\(getpid()).gz"
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("cannot create \(path): errno \(errno)") }
    }

    /// Replaces the file's contents with `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) {
        guard ftruncate(fd, 0) == 0 else { fatalError("cannot truncate \(path): errno \(errno)") }
        var offset = 0
        while offset < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + offset, bytes.count - offset, off_t(offset))
            guard n > 0 || (n < 0 && errno == EINTR) else { fatalError("cannot write \(path): errno \(errno)") }
            offset += max(n, 0)
        }
    }

    func remove() {
        close(fd)
        unlink(path)
    }
}
