import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX file operations the spool needs, with errors as ``SpoolError``.
enum FileSystem {
    static func errnoMessage(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// `fsync`s `path` (opened read-only: on Linux and macOS `fsync` applies to the file, whichever
    /// descriptor is used). Returns false when the file no longer exists (it was uploaded and deleted).
    @discardableResult
    static func fsyncPath(_ path: String, directory: Bool = false) throws -> Bool {
        let fd = open(path, O_RDONLY | (directory ? O_DIRECTORY : 0) | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return false }
            throw SpoolError(kind: .io, message: "cannot open \(path) to fsync it: \(errnoMessage()); check the spool directory's permissions and disk")
        }
        defer { _ = close(fd) }
        while fsync(fd) != 0 {
            if errno == EINTR { continue }
            throw SpoolError(kind: .io, message: "fsync of \(path) failed: \(errnoMessage()); the disk may be full or failing")
        }
        return true
    }

    static func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SpoolError(kind: .io, message: "cannot create spool directory \(path): \(error.localizedDescription); set REPLAYD_SPOOL_DIR to a writable directory")
        }
    }

    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    static func modificationTimeMilliseconds(_ path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let time = info.st_mtimespec
        #else
        let time = info.st_mtim
        #endif
        return Double(time.tv_sec) * 1000 + Double(time.tv_nsec) / 1_000_000
    }

    static func remove(_ path: String) throws {
        if unlink(path) != 0, errno != ENOENT {
            throw SpoolError(kind: .io, message: "cannot delete \(path): \(errnoMessage())")
        }
    }

    static func rename(_ from: String, to: String) throws {
        if Foundation.rename(from, to) != 0 {
            throw SpoolError(kind: .io, message: "cannot rename \(from) to \(to): \(errnoMessage())")
        }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Makes `to` a second name of `from` (a hard link: no copy, same file system).
    static func hardLink(_ from: String, to: String) throws {
        if link(from, to) != 0 {
            throw SpoolError(kind: .io, message: "cannot link \(from) to \(to): \(errnoMessage())")
        }
    }

    /// Writes `bytes` to `path` (replacing it) and `fsync`s it.
    static func writeDurably(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SpoolError(kind: .io, message: "cannot create \(path): \(errnoMessage())") }
        defer { _ = close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SpoolError(kind: .io, message: "cannot write \(path): \(errnoMessage())")
            }
            written += n
        }
        while fsync(fd) != 0 {
            if errno == EINTR { continue }
            throw SpoolError(kind: .io, message: "fsync of \(path) failed: \(errnoMessage())")
        }
    }

    static func list(_ directory: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw SpoolError(kind: .io, message: "cannot list spool directory \(directory): \(error.localizedDescription)")
        }
    }

    /// Takes an exclusive `flock` on `<directory>/.lock`; returns the descriptor that holds it.
    static func lockDirectory(_ directory: String) throws -> Int32 {
        let path = directory + "/.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SpoolError(kind: .io, message: "cannot create \(path): \(errnoMessage()); set REPLAYD_SPOOL_DIR to a writable directory")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            _ = close(fd)
            throw SpoolError(kind: .locked, message: "spool directory \(directory) is in use by another process; give each Processor its own REPLAYD_SPOOL_DIR")
        }
        return fd
    }
}
