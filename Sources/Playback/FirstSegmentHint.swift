import Foundation
import S3
import Synchronization

/// The events endpoint's `first_segment` parameter: the object key of the session's first segment,
/// which the replay page knows when it builds the player's request. Its download starts at once,
/// beside the index lookup, instead of after it (the lookup is on the way to the first byte).
///
/// The parameter is a hint, never trusted: the download is used only when the index, read
/// meanwhile, names the same key as a first run of one ordered segment; otherwise it is aborted
/// (one wasted GET) and the session plays from the index as without the hint. A key that cannot
/// be this session's (see ``plausible(_:session:campaign:)``) is not fetched at all.
final class FirstSegmentHint: Sendable {
    /// The query parameter.
    static let parameter = "first_segment"

    let key: String
    private let download: S3PendingObject
    private let taken = Mutex(false)

    /// Sends the GET of `hint` (without waiting for it) if it names an object of this session;
    /// nil otherwise.
    init?(_ hint: Substring?, session: String, campaign: UUID?, s3: S3Client) {
        guard let hint, Self.plausible(hint, session: session, campaign: campaign) else { return nil }
        key = String(hint)
        download = s3.startGetObject(key: key)
    }

    /// Segment keys are `<prefix><campaign>/<session>/<first seq>-<segment id>.jsonl.gz`; session
    /// ids reaching here are already checked to be `[A-Za-z0-9_-]`, which the layout keeps as is.
    static func plausible(_ hint: Substring, session: String, campaign: UUID?) -> Bool {
        guard hint.utf8.count <= 1024, hint.hasSuffix(".jsonl.gz") else { return false }
        let directory = "/\(session)/"
        if let campaign {
            return hint.contains(campaign.uuidString.lowercased() + directory)
        }
        return hint.contains(directory)
    }

    /// The started download when the stream's first run is `segments[run]` alone, ordered, with
    /// this key; nil (and the download aborted) otherwise, or when it failed (the stream then reads
    /// the segment itself and reports what S3 says).
    func take(firstRun run: Range<Int>?, of segments: [SegmentRecord]) async -> S3ObjectStream? {
        guard let run, SegmentGroups.playsLive(run, of: segments), segments[run.lowerBound].objectKey == key else {
            discard()
            return nil
        }
        taken.withLock { $0 = true }
        return try? await download.stream()
    }

    /// Aborts the download (no effect once ``take(firstRun:of:)`` has handed it on).
    func discard() {
        guard !taken.withLock({ $0 }) else { return }
        download.cancel()
    }
}
