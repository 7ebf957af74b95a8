import Foundation
import Logging
import S3
import Testing
import StackTestSupport
import TestSupport

/// Clients and files for tests against the local stack's SeaweedFS.
enum S3Fixture {
    static func configuration(_ adjust: (inout S3Configuration) -> Void = { _ in }) -> S3Configuration {
        StackFixtures.s3Configuration(adjust)
    }

    static func client(secret: String = TestStack.secretKey, _ adjust: (inout S3Configuration) -> Void = { _ in }) -> S3Client {
        var logger = Logger(label: "S3Tests")
        logger.logLevel = .warning
        return StackFixtures.s3Client(secret: secret, logger: logger, adjust)
    }

    /// A fresh directory for one test's files.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("s3test"))
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A file of `size` random bytes.
    static func randomFile(in directory: URL, size: Int, name: String = "input") throws -> String {
        let path = directory.appendingPathComponent("\(name)-\(size)").path
        let result = try shell("head -c \(size) /dev/urandom > '\(path)'")
        try #require(result.status == 0, "could not create \(path): \(result.output)")
        return path
    }

    /// `sha256sum` of a file (an independent implementation from ours).
    static func sha256sum(_ path: String) throws -> String {
        let result = try shell("sha256sum '\(path)'")
        try #require(result.status == 0, "sha256sum failed: \(result.output)")
        return String(result.output.prefix(64))
    }
}

/// A lock-protected value for test hooks called from several tasks.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is only accessed while holding `lock`.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withValue<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
