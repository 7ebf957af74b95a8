import Crypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 (and optionally MD5) of a byte range of a file, read with `pread` through one 1 MiB
/// buffer: memory stays flat whatever the size.
public enum PayloadHasher {
    /// The digests of one range.
    public struct Digests: Sendable, Equatable {
        /// Lower-case hex SHA-256 (the `x-amz-content-sha256` value).
        public var sha256: String
        /// The raw MD5 when asked for (S3 ETags of single PUTs and parts are its hex).
        public var md5: [UInt8]?
    }

    static let bufferSize = 1 << 20

    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> String { Hex.encode(SHA256.hash(data: bytes)) }

    /// Hashes `length` bytes of `path` from `offset`. Throws an ``S3Error`` (`.integrity`) when the
    /// file cannot be read or is shorter than the range.
    public static func digests(path: String, offset: Int64, length: Int64, md5: Bool = false) throws -> Digests {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw S3Error(kind: .integrity, message: "cannot open \(path) for reading: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var sha = SHA256()
        var md = md5 ? Insecure.MD5() : nil
        var buffer = [UInt8](repeating: 0, count: Int(min(Int64(bufferSize), max(length, 1))))
        var position = offset
        var remaining = length
        while remaining > 0 {
            let want = Int(min(Int64(buffer.count), remaining))
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(position)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw S3Error(kind: .integrity, message: "cannot read \(path) at offset \(position): \(String(cString: strerror(errno)))")
            }
            if got == 0 {
                throw S3Error(kind: .integrity, message: "\(path) ended at offset \(position), before the \(length) bytes from offset \(offset) to upload; was it truncated while uploading?")
            }
            buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<got])
                sha.update(bufferPointer: chunk)
                md?.update(bufferPointer: chunk)
            }
            position += Int64(got)
            remaining -= Int64(got)
        }
        return Digests(sha256: Hex.encode(sha.finalize()), md5: md.map { Array($0.finalize()) })
    }

    /// The size of the file at `path`.
    public static func fileSize(_ path: String) throws -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw S3Error(kind: .integrity, message: "cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        return Int64(info.st_size)
    }
}
