import Crypto
import Curl
import Foundation
import TestSupport

/// Helpers shared by the Curl integration tests.
enum CurlTestSupport {
    /// A unique object URL under the filer's writable bucket directory.
    /// A fresh object URL on the transport-test file server (`scripts/test-file-server`, a separate
    /// process, so memory measurements see only the client). The large round trips once ran against
    /// SeaweedFS's filer, which twice served other bytes than it had accepted in full suite runs; the
    /// S3 client's own tests still cover SeaweedFS, with server-side checksums.
    static func objectURL(_ prefix: String) -> String {
        "\(FileServer.baseURL)/curl-tests/\(TestStack.uniqueName(prefix))"
    }

    /// Creates a file of `bytes` random bytes (without holding it in memory).
    static func randomFile(at path: String, bytes: Int) throws {
        let result = try shell("head -c \(bytes) /dev/urandom > '\(path)'")
        guard result.status == 0 else { throw TestFailure("creating \(path) failed: \(result.output)") }
    }

    /// SHA-256 (lower-case hex) of `length` bytes of `path` from `offset` (default: the whole file),
    /// computed in this process with swift-crypto (independent of the code under test), read with
    /// `pread` in 1 MiB pieces.
    ///
    /// Not a `tail | head | sha256sum` pipeline: its combined output once began with tail's
    /// "Broken pipe" message whenever the test process ignored SIGPIPE (SwiftNIO does so from its
    /// first socket on), which made every full-suite run report a correct upload as corrupted.
    static func sha256(of path: String, offset: Int64 = 0, length: Int64? = nil) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TestFailure("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var remaining = try length ?? (fileSize(path) - offset)
        var position = offset
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while remaining > 0 {
            let want = Int(min(Int64(buffer.count), remaining))
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(position)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw TestFailure("\(path) ended \(remaining) bytes before [\(offset), \(offset + (length ?? 0))) was read") }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            position += Int64(got)
            remaining -= Int64(got)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// `sha256sum` of the same range through the shell (`tail -c +N | head -c L | sha256sum`): a second,
    /// independent tool, and a check that commands run from tests see a normal signal environment.
    static func sha256sum(of path: String, offset: Int64, length: Int64) throws -> String {
        let command = "tail -c +\(offset + 1) '\(path)' | head -c \(length) | sha256sum"
        let result = try shell(command)
        guard result.status == 0 else { throw TestFailure("\(command) failed: \(result.output)") }
        guard result.output.count == 64 + 4, result.output.hasSuffix("  -\n") else {
            throw TestFailure("\(command) printed more than a digest: \(result.output.debugDescription)")
        }
        return String(result.output.prefix(64))
    }

    static func fileSize(_ path: String) throws -> Int64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.size] as? NSNumber)?.int64Value ?? -1
    }
}

/// A fresh directory under the system temp directory, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("curl-tests")).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Returns free heap memory to the OS (glibc `malloc_trim(0)`, looked up at run time because
/// `<malloc.h>` is not part of the Glibc module), so that a following peak-RSS measurement sees new
/// allocations instead of reused, already-resident free memory.
func releaseFreeHeapMemory() {
    #if os(Linux)
    typealias MallocTrim = @convention(c) (Int) -> Int32
    if let symbol = dlsym(nil, "malloc_trim") {
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    }
    #endif
}
