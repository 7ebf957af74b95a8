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

    /// `sha256sum` of `length` bytes of `path` starting at `offset`.
    static func sha256(of path: String, offset: Int64 = 0, length: Int64? = nil) throws -> String {
        let command = length.map { "tail -c +\(offset + 1) '\(path)' | head -c \($0) | sha256sum" } ?? "sha256sum '\(path)'"
        let result = try shell(command)
        guard result.status == 0 else { throw TestFailure("\(command) failed: \(result.output)") }
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
