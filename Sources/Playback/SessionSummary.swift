import Foundation

/// One recorded session as the sessions list shows it (a `sessions` row).
public struct SessionSummary: Sendable, Equatable {
    public var campaignID: UUID
    public var id: String
    public var startedAt: Date
    public var endedAt: Date
    public var eventCount: Int64
    /// Compressed bytes stored in S3 for the session.
    public var bytes: Int64
    public var segmentCount: Int
    public var firstURL: String?
    /// `started_at` in microseconds since the epoch, exactly as stored (the pagination cursor).
    public var startedAtMicros: Int64
    /// What the Processor's summary pass counted (zero for sessions recorded before it existed).
    public var activity = SessionActivityColumns()

    public init(campaignID: UUID, id: String, startedAt: Date, endedAt: Date, eventCount: Int64, bytes: Int64,
                segmentCount: Int, firstURL: String?, startedAtMicros: Int64) {
        self.campaignID = campaignID
        self.id = id
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.eventCount = eventCount
        self.bytes = bytes
        self.segmentCount = segmentCount
        self.firstURL = firstURL
        self.startedAtMicros = startedAtMicros
    }

    /// Milliseconds between the first and the last event.
    public var durationMilliseconds: Int64 {
        Int64(((endedAt.timeIntervalSince1970 - startedAt.timeIntervalSince1970) * 1000).rounded())
    }
}

/// One uploaded segment of a session (a `segments` row).
/// A session's segments with what the event stream needs of the session itself.
public struct SessionSegments: Sendable, Equatable {
    public var campaignID: UUID
    public var session: String
    /// The session's last event (stamps the trailing gap event).
    public var endedAt: Date
    public var segments: [SegmentRecord]
}

public struct SegmentRecord: Sendable, Equatable {
    public var objectKey: String
    public var firstSeq: Int64
    public var lastSeq: Int64
    public var eventCount: Int64
    public var bytes: Int64
    /// Its batch lines ascend by seq, each seq once (the Uploader records it): it can be played as
    /// it decompresses.
    public var ordered: Bool

    public init(objectKey: String, firstSeq: Int64, lastSeq: Int64, eventCount: Int64, bytes: Int64, ordered: Bool = false) {
        self.objectKey = objectKey
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.eventCount = eventCount
        self.bytes = bytes
        self.ordered = ordered
    }
}

/// The position after the last session of a page: opaque to clients (`cursor=`), base64url of
/// `<started_at µs>:<session id>`.
public struct SessionCursor: Sendable, Equatable {
    public var startedAtMicros: Int64
    public var session: String

    public init(startedAtMicros: Int64, session: String) {
        self.startedAtMicros = startedAtMicros
        self.session = session
    }

    public var encoded: String {
        Data("\(startedAtMicros):\(session)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public init?(encoded: String) {
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
              let colon = text.firstIndex(of: ":"), let micros = Int64(text[..<colon]),
              SessionStore.queryableDates.contains(Date(timeIntervalSince1970: Double(micros) / 1_000_000))
        else { return nil }
        let session = String(text[text.index(after: colon)...])
        guard !session.isEmpty else { return nil }
        self.init(startedAtMicros: micros, session: session)
    }
}
