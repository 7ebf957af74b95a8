import CZlib
import Core

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error from the `Gzip` module: what went wrong (``kind``) and a message that says what to do.
///
/// `code` is stable and machine-readable:
/// - `decompressed_too_large` — ``Kind/outputLimitExceeded(limit:)`` (map to HTTP 413)
/// - `gzip_corrupt` — ``Kind/corrupt`` (HTTP 400)
/// - `gzip_truncated` — ``Kind/truncated`` (HTTP 400)
/// - `gzip_io_error` — ``Kind/io(errno:)``
/// - `gzip_closed` — ``Kind/closed`` (a programming error: use after `finish()`)
/// - `gzip_internal` — ``Kind/zlib(status:)`` (zlib refused, e.g. out of memory)
public struct GzipError: UserFacingError, Equatable {
    /// The category of failure.
    public enum Kind: Equatable, Sendable {
        /// Decompressed output would exceed `limit` bytes; at most `limit` bytes were delivered.
        case outputLimitExceeded(limit: Int)
        /// The input is not gzip/zlib data, or is damaged (bad header, bad block, CRC or length mismatch).
        case corrupt
        /// The input ended inside a gzip member.
        case truncated
        /// A system call on a file failed with this `errno`.
        case io(errno: Int32)
        /// The writer or stream was used after `finish()`.
        case closed
        /// zlib returned an unexpected status (e.g. `Z_MEM_ERROR`).
        case zlib(status: Int32)
    }

    public var kind: Kind
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var code: String {
        switch kind {
        case .outputLimitExceeded: "decompressed_too_large"
        case .corrupt: "gzip_corrupt"
        case .truncated: "gzip_truncated"
        case .io: "gzip_io_error"
        case .closed: "gzip_closed"
        case .zlib: "gzip_internal"
        }
    }

    // MARK: constructors with actionable messages

    static func outputLimitExceeded(_ limit: Int) -> GzipError {
        GzipError(
            kind: .outputLimitExceeded(limit: limit),
            message: "decompressed body exceeds the \(limit)-byte limit; send a smaller body or raise the limit"
        )
    }

    static func corrupt(_ detail: String?, source: String? = nil) -> GzipError {
        let what = source.map { "gzip data in \($0)" } ?? "gzip data"
        let why = detail.map { " (\($0))" } ?? ""
        return GzipError(
            kind: .corrupt,
            message: "\(what) is corrupt\(why); it is not gzip or was damaged in transit or on disk — resend or discard it"
        )
    }

    static func truncated(source: String? = nil) -> GzipError {
        let what = source.map { "gzip data in \($0)" } ?? "gzip data"
        return GzipError(
            kind: .truncated,
            message: "\(what) ends in the middle of a gzip member; the upload or file was cut off — resend it, "
                + "or read a crashed file with allowTruncatedTail to recover the data up to its last flush"
        )
    }

    static func io(_ errno: Int32, _ operation: String, path: String) -> GzipError {
        let reason = String(cString: strerror(errno))
        return GzipError(
            kind: .io(errno: errno),
            message: "could not \(operation) \(path): \(reason) (errno \(errno)); check the path, its permissions and free disk space"
        )
    }

    static func closed(_ what: String) -> GzipError {
        GzipError(kind: .closed, message: "\(what) was used after finish(); create a new one for more data")
    }

    static func zlib(_ status: Int32, _ operation: String, detail: String? = nil) -> GzipError {
        if status == Z_MEM_ERROR {
            return GzipError(kind: .zlib(status: status), message: "zlib ran out of memory during \(operation); free memory or lower concurrency")
        }
        let why = detail.map { ": \($0)" } ?? ""
        return GzipError(
            kind: .zlib(status: status),
            message: "zlib failed during \(operation) with status \(status)\(why); this is a bug in replayd's Gzip module — please report it"
        )
    }
}
