import Logging
import PostgresNIO
import S3

/// Uploads quarantined segments again (`replayd spool quarantine retry`), once the cause S3 gave
/// is fixed. Works on the quarantine directory only, so it runs beside a Processor that owns the
/// spool: the Processor's uploader sees the file gone and releases the segment's commit holds.
public struct QuarantineRedriver: Sendable {
    public enum Result: Sendable, Equatable {
        /// Uploaded and indexed under this key; the quarantined file was deleted.
        case uploaded(key: String)
        /// Not re-driven: a damaged original whose readable part is already in S3.
        case kept(String)
        /// The upload failed again; the file stays in quarantine.
        case failed(String)
    }

    let transfer: SegmentTransfer

    public init(s3: S3Client, postgres: PostgresClient, keyPrefix: String, logger: Logger) {
        transfer = SegmentTransfer(s3: s3, index: SegmentIndex(client: postgres, logger: logger), keyPrefix: keyPrefix, logger: logger)
    }

    public func redrive(_ entry: SpoolQuarantine.Entry) async -> Result {
        guard entry.kind == .uploadRefused else {
            return .kept("a damaged original kept for inspection (its readable part was uploaded); delete it when done")
        }
        guard let campaignID = entry.campaignID, let session = entry.session, let segmentID = entry.segmentID else {
            return .failed("the file name is not a segment name")
        }
        do {
            guard let metadata = try SegmentRecovery.metadata(ofIntactFile: entry.path) else {
                try SpoolQuarantine.remove(entry)
                return .kept("it holds no complete batch; deleted")
            }
            let segment = ClosedSegment(campaignID: campaignID, session: session, segmentID: segmentID, path: entry.path,
                                        bytes: entry.bytes, metadata: metadata)
            let stored = try await transfer.store(segment, metadata: metadata, cleanUp: true)
            try SpoolQuarantine.remove(entry)
            return .uploaded(key: stored.key)
        } catch let failure as SegmentTransfer.Failure {
            return .failed("\(failure.stage.rawValue): \(failure.error)")
        } catch {
            return .failed("\(error)")
        }
    }
}
