import Crypto
import Curl
import Foundation

extension S3Client {
    /// Starts a multipart upload; returns its upload id.
    public func createMultipartUpload(key: String, contentType: String = "application/octet-stream", metadata: [String: String] = [:]) async throws -> String {
        var headers = [(name: "Content-Type", value: contentType)]
        headers += try S3Metadata.headers(metadata)
        let response = try await perform(S3Request(operation: "CreateMultipartUpload", method: "POST", key: key, query: [("uploads", nil)], headers: headers))
        guard let root = S3XMLElement.parse(response.body), let uploadID = root.value("UploadId"), !uploadID.isEmpty else {
            throw malformed("CreateMultipartUpload", response.body)
        }
        return uploadID
    }

    /// Uploads one part (1...10,000) streamed from `length` bytes of `file` at `offset`; returns its ETag (unquoted).
    public func uploadPart(key: String, uploadID: String, partNumber: Int, file: String, offset: Int64, length: Int64) async throws -> String {
        try await uploadPart(key: key, uploadID: uploadID, partNumber: partNumber, file: file, offset: offset, length: length, beforeAttempt: nil, progress: nil).etag
    }

    /// ``uploadPart(key:uploadID:partNumber:file:offset:length:)`` with the part's MD5 (when
    /// ETags are verified), a per-attempt hook and transfer progress.
    func uploadPart(
        key: String, uploadID: String, partNumber: Int, file: String, offset: Int64, length: Int64,
        beforeAttempt: (@Sendable (Int) throws -> Void)?, progress: (@Sendable (Int64, Int64) -> Void)?
    ) async throws -> (etag: String, md5: [UInt8]?) {
        let digests = try hashIfNeeded(file: file, offset: offset, length: length)
        let request = S3Request(
            operation: "UploadPart", method: "PUT", key: key,
            query: [("partNumber", String(partNumber)), ("uploadId", uploadID)],
            headers: Self.contentMD5Header(digests?.md5),
            body: .file(path: file, offset: offset, length: length),
            payloadHash: digests?.sha256 ?? SigV4Signer.unsignedPayload
        )
        let response = try await perform(request, beforeAttempt: beforeAttempt, progress: progress)
        guard let raw = response.header("ETag"), !raw.isEmpty else {
            throw S3Error(kind: .integrity, message: "S3 UploadPart \(partNumber) of s3://\(configuration.bucket)/\(key) answered without an ETag")
        }
        let etag = unquoteETag(raw)
        try verifyETag(etag, md5: digests?.md5, response: response, what: "part \(partNumber) of s3://\(configuration.bucket)/\(key)")
        // An encrypted part's ETag is no MD5, so neither is the object's: no MD5 means no final check.
        return (etag, Self.etagIsNotMD5(response) ? nil : digests?.md5)
    }

    /// Completes a multipart upload from its parts (in any order; sent sorted). Returns the object's ETag (unquoted).
    @discardableResult
    public func completeMultipartUpload(key: String, uploadID: String, parts: [(partNumber: Int, etag: String)]) async throws -> String {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\"\(S3XMLElement.escape(unquoteETag(part.etag)))\"</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = Array(xml.utf8)
        let response = try await perform(S3Request(
            operation: "CompleteMultipartUpload", method: "POST", key: key, query: [("uploadId", uploadID)],
            headers: [("Content-Type", "application/xml")], body: .bytes(body), payloadHash: PayloadHasher.sha256(body)
        ))
        let root = S3XMLElement.parse(response.body)
        return unquoteETag(root?.value("ETag") ?? response.header("ETag") ?? "")
    }

    /// Aborts a multipart upload, freeing its parts. An upload that no longer exists counts as aborted.
    public func abortMultipartUpload(key: String, uploadID: String) async throws {
        do {
            _ = try await perform(S3Request(operation: "AbortMultipartUpload", method: "DELETE", key: key, query: [("uploadId", uploadID)]))
        } catch let error as S3Error where error.serviceCode == "NoSuchUpload" {
            return
        }
    }

    /// The multipart uploads in progress under `prefix` (all pages).
    public func listMultipartUploads(prefix: String) async throws -> [S3MultipartUpload] {
        var uploads: [S3MultipartUpload] = []
        var keyMarker: String?
        var uploadIDMarker: String?
        while true {
            var query: [(name: String, value: String?)] = [("uploads", nil), ("prefix", prefix)]
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let uploadIDMarker { query.append(("upload-id-marker", uploadIDMarker)) }
            let response = try await perform(S3Request(operation: "ListMultipartUploads", method: "GET", key: nil, query: query))
            guard let root = S3XMLElement.parse(response.body), root.name == "ListMultipartUploadsResult" else {
                throw malformed("ListMultipartUploads", response.body)
            }
            uploads += root.children("Upload").map {
                S3MultipartUpload(key: $0.value("Key") ?? "", uploadID: $0.value("UploadId") ?? "", initiated: $0.value("Initiated") ?? "")
            }
            let nextKey = root.value("NextKeyMarker").flatMap { $0.isEmpty ? nil : $0 }
            guard root.value("IsTruncated") == "true", let nextKey,
                  nextKey != keyMarker || root.value("NextUploadIdMarker") != uploadIDMarker else { break }
            keyMarker = nextKey
            uploadIDMarker = root.value("NextUploadIdMarker")
        }
        return uploads
    }

    /// Uploads `file` as `key`: one PutObject below ``S3Configuration/multipartThreshold``, a
    /// multipart upload (streamed parts, bounded parallelism, per-part retries, abort on failure)
    /// from there on. Verifies the stored object's size with HeadObject (and its ETag where S3's
    /// ETag scheme allows). `progress` gets (bytes sent, file size).
    public func upload(
        file: String, key: String, contentType: String = "application/octet-stream", metadata: [String: String] = [:],
        progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws -> S3UploadResult {
        let size = try PayloadHasher.fileSize(file)
        let result: S3UploadResult
        if size < Int64(configuration.multipartThreshold) {
            let etag = try await putObject(key: key, file: file, offset: 0, length: size, contentType: contentType, metadata: metadata, progress: progress)
            result = S3UploadResult(key: key, size: size, etag: etag, multipart: false, parts: 1)
        } else {
            result = try await S3MultipartUploader(client: self).upload(
                file: file, size: size, key: key, contentType: contentType, metadata: metadata, progress: progress
            )
        }
        guard let head = try await headObject(key: key) else {
            throw S3Error(kind: .integrity, message: "s3://\(configuration.bucket)/\(key) is missing right after its upload succeeded; keep \(file) and retry")
        }
        guard head.size == size else {
            throw S3Error(kind: .integrity, message: "s3://\(configuration.bucket)/\(key) has \(head.size) bytes but \(file) has \(size); keep the file and upload it again")
        }
        if configuration.verifyETags, !result.etag.isEmpty, !head.etag.isEmpty, head.etag != result.etag {
            throw S3Error(kind: .integrity, message: "s3://\(configuration.bucket)/\(key) has ETag \(head.etag) but the upload returned \(result.etag); another writer may have replaced it")
        }
        return result
    }
}
