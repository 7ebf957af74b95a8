import Foundation
import Logging
import Metrics
import S3

/// The steps that move one closed segment into S3, without any scheduling: upload (one PUT or
/// multipart; the S3 module sends `Content-MD5` and verifies size and ETag), abort what earlier
/// attempts left open, then index it in PostgreSQL. The caller deletes the file afterwards.
struct SegmentTransfer: Sendable {
    let s3: S3Client
    let index: SegmentIndex
    let keyPrefix: String
    let logger: Logger

    enum Stage: String, Sendable { case s3, index }

    struct Failure: Error {
        var stage: Stage
        var error: any Error
    }

    /// Uploads and indexes `segment` (whose metadata is known); returns the object key and the result.
    /// `cleanUp` aborts other multipart uploads still open for the segment's key once it is complete.
    func store(_ segment: ClosedSegment, metadata: SegmentMetadata, cleanUp: Bool) async throws(Failure) -> (key: String, result: S3UploadResult) {
        let key = SegmentObjectKey.make(prefix: keyPrefix, campaignID: segment.campaignID, session: segment.session,
                                        firstSeq: metadata.firstSeq, segmentID: segment.segmentID)
        let started = ContinuousClock.now
        let result: S3UploadResult
        do {
            result = try await s3.upload(file: segment.path, key: key, contentType: SegmentObjectKey.contentType,
                                         metadata: SegmentObjectKey.metadata(segment, metadata))
        } catch {
            throw Failure(stage: .s3, error: error)
        }
        UploaderMetrics.uploadSeconds(multipart: result.multipart).recordInterval(since: started)
        if cleanUp || result.multipart {
            await abortLeftoverUploads(of: segment, completed: key)
        }
        do {
            try await index.record(key: key, segment: segment, metadata: metadata, bytes: result.size)
        } catch {
            throw Failure(stage: .index, error: error)
        }
        return (key, result)
    }

    /// Aborts the multipart uploads still open for this segment once its object `completed` exists.
    /// Matched by the segment id at the end of the key, so an earlier attempt is found even if it
    /// named a different first seq. Best effort: what fails here is aborted at a later start, once
    /// older than ``SegmentUploaderConfiguration/abandonedMultipartAge``.
    func abortLeftoverUploads(of segment: ClosedSegment, completed: String) async {
        let sessionPrefix = SegmentObjectKey.sessionPrefix(prefix: keyPrefix, campaignID: segment.campaignID, session: segment.session)
        let suffix = "-\(segment.segmentID.uuidString.lowercased()).jsonl.gz"
        do {
            for upload in try await s3.listMultipartUploads(prefix: sessionPrefix) where upload.key.hasSuffix(suffix) {
                try await s3.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
                UploaderMetrics.abortedMultipart.increment()
                logger.notice("aborted a multipart upload left open by an earlier attempt at this segment", metadata: [
                    "key": "\(upload.key)", "initiated": "\(upload.initiated)", "uploaded": "\(completed)",
                ])
            }
        } catch {
            logger.warning("could not abort earlier multipart uploads of an uploaded segment; they are aborted at a later start",
                           metadata: ["key": "\(completed)", "error": "\(error)"])
        }
    }
}
