import Crypto
import Foundation
import Synchronization
import Logging

/// One multipart upload of a file: parts streamed from disk, at most
/// ``S3Configuration/maxParallelParts`` in flight, each retried by the client's retry policy,
/// the upload aborted when a part fails for good, the ETag checked against the part MD5s.
struct S3MultipartUploader: Sendable {
    let client: S3Client

    var configuration: S3Configuration { client.configuration }

    func upload(
        file: String, size: Int64, key: String, contentType: String, metadata: [String: String],
        progress: (@Sendable (Int64, Int64) -> Void)?
    ) async throws -> S3UploadResult {
        let partSize = configuration.effectivePartSize(forFileSize: size)
        let partCount = max(1, Int((size + partSize - 1) / partSize))
        guard partCount <= 10_000 else {
            throw S3Error(kind: .configuration, message: "\(file) (\(size) bytes) needs \(partCount) parts of \(partSize) bytes; S3 allows 10,000")
        }
        let uploadID = try await client.createMultipartUpload(key: key, contentType: contentType, metadata: metadata)
        let logger = client.logger
        logger.debug("multipart upload started", metadata: [
            "key": .string(key), "upload_id": .string(uploadID), "parts": .stringConvertible(partCount), "part_size": .stringConvertible(partSize),
        ])
        do {
            let parts = try await uploadParts(file: file, size: size, key: key, uploadID: uploadID, partSize: partSize, partCount: partCount, progress: progress)
            let etag = try await client.completeMultipartUpload(key: key, uploadID: uploadID, parts: parts.map { ($0.number, $0.etag) })
            if configuration.verifyETags, parts.allSatisfy({ $0.md5 != nil }), etag.contains("-") {
                let expected = Self.multipartETag(partMD5s: parts.compactMap(\.md5))
                guard etag.lowercased() == expected else {
                    throw S3Error(kind: .integrity, message: "s3://\(configuration.bucket)/\(key) has multipart ETag \(etag) but its parts give \(expected); keep \(file) and upload it again")
                }
            }
            return S3UploadResult(key: key, size: size, etag: etag, multipart: true, parts: partCount)
        } catch {
            // Abort even if this task was cancelled: an unstructured task does not inherit cancellation.
            let client = self.client
            let aborted = await Task {
                do {
                    try await client.abortMultipartUpload(key: key, uploadID: uploadID)
                    return nil as String?
                } catch {
                    return String(describing: error)
                }
            }.value
            if let aborted {
                logger.error("could not abort multipart upload; it stays until a lifecycle rule removes it", metadata: [
                    "key": .string(key), "upload_id": .string(uploadID), "error": .string(aborted),
                ])
            } else {
                logger.warning("multipart upload aborted", metadata: ["key": .string(key), "upload_id": .string(uploadID), "error": .string("\(error)")])
            }
            throw error
        }
    }

    struct Part: Sendable {
        var number: Int
        var etag: String
        var md5: [UInt8]?
    }

    private func uploadParts(
        file: String, size: Int64, key: String, uploadID: String, partSize: Int64, partCount: Int,
        progress: (@Sendable (Int64, Int64) -> Void)?
    ) async throws -> [Part] {
        let tracker = progress.map { PartProgress(total: size, report: $0) }
        let injector = configuration.partFaultInjector
        let client = self.client
        let maxParallel = configuration.maxParallelParts
        @Sendable func partTask(_ number: Int) async throws -> Part {
            let offset = Int64(number - 1) * partSize
            let length = min(partSize, size - offset)
            var hook: (@Sendable (Int) throws -> Void)?
            if let injector { hook = { attempt in try injector(number, attempt) } }
            var onProgress: (@Sendable (Int64, Int64) -> Void)?
            if let tracker { onProgress = { sent, _ in tracker.update(part: number, sent: sent) } }
            let result = try await client.uploadPart(
                key: key, uploadID: uploadID, partNumber: number, file: file, offset: offset, length: length,
                beforeAttempt: hook, progress: onProgress
            )
            tracker?.update(part: number, sent: length)
            return Part(number: number, etag: result.etag, md5: result.md5)
        }
        return try await withThrowingTaskGroup(of: Part.self, returning: [Part].self) { group in
            var nextPart = 1
            var parts: [Part] = []
            parts.reserveCapacity(partCount)
            while nextPart <= min(partCount, maxParallel) {
                let number = nextPart
                group.addTask { try await partTask(number) }
                nextPart += 1
            }
            while let part = try await group.next() {
                parts.append(part)
                if nextPart <= partCount {
                    let number = nextPart
                    group.addTask { try await partTask(number) }
                    nextPart += 1
                }
            }
            return parts.sorted { $0.number < $1.number }
        }
    }

    /// S3's ETag of a multipart object: hex MD5 of the concatenated binary part MD5s, `-`, part count.
    static func multipartETag(partMD5s: [[UInt8]]) -> String {
        var md5 = Insecure.MD5()
        for digest in partMD5s { md5.update(data: digest) }
        return Hex.encode(Array(md5.finalize())) + "-\(partMD5s.count)"
    }
}

/// Bytes sent per part, summed for the caller's progress callback (called from curl worker threads).
final class PartProgress: Sendable {
    private let sent = Mutex<[Int: Int64]>([:])
    let total: Int64
    let report: @Sendable (Int64, Int64) -> Void

    init(total: Int64, report: @escaping @Sendable (Int64, Int64) -> Void) {
        self.total = total
        self.report = report
    }

    func update(part: Int, sent bytes: Int64) {
        let sum: Int64 = sent.withLock { sent in
            sent[part] = max(sent[part] ?? 0, bytes)
            return sent.values.reduce(0, +)
        }
        report(sum, total)
    }
}
