import Foundation

/// A session's summary columns (filled by the Processor's summary pass as segments upload), and
/// what they say about whether it can be played.
public struct SessionActivityColumns: Sendable, Equatable {
    public var activeMillis: Int64 = 0
    public var clicks = 0
    public var keypresses = 0
    public var scrolls = 0
    public var rageClicks = 0
    public var deadClicks = 0
    public var consoleErrors = 0
    public var consoleWarnings = 0
    public var urls: [String] = []
    public var browser: String?
    public var os: String?
    public var device: String?
    public var viewportWidth: Int?
    public var viewportHeight: Int?
    public var firstFullSnapshot: Date?
    public var firstIncremental: Date?
    public var batchCount: Int64 = 0
    public var minSeq: Int64?
    public var maxSeq: Int64?
    /// Segments that carried a summary (every segment indexed since migration 7).
    public var summarizedSegments = 0
    public var ended = false

    public init() {}

    /// Why the session cannot be played (fully), in words an analyst can act on; empty when nothing
    /// is known against it.
    public var unplayableReasons: [String] {
        guard summarizedSegments > 0 else { return [] }
        var reasons: [String] = []
        if firstFullSnapshot == nil {
            reasons.append("no full snapshot: the page's initial state was never recorded, so the player has nothing to draw")
        } else if let firstIncremental, let firstFullSnapshot, firstIncremental < firstFullSnapshot {
            let seconds = Int(firstFullSnapshot.timeIntervalSince(firstIncremental).rounded(.up))
            reasons.append("the first \(seconds) s of changes came before the first full snapshot and cannot be shown")
        }
        if let minSeq, let maxSeq, maxSeq - minSeq + 1 > batchCount {
            reasons.append("\(maxSeq - minSeq + 1 - batchCount) of the batches \(minSeq)…\(maxSeq) never arrived: parts of the recording are missing")
        }
        return reasons
    }

    /// Whether the player can show the session from its start (no reason against it).
    public var playable: Bool { unplayableReasons.isEmpty }
}
