import Database
import Foundation
import Logging
import PostgresNIO

/// Reads the session index the Uploader writes (`sessions`, `segments`).
public struct SessionStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The start times a sessions query may name: RFC 3339's years 0001–9999. PostgreSQL refuses a
    /// timestamp before 4713 BC, and one past year 294,276 does not fit the client's microseconds
    /// (encoding it traps), so a bound outside this range is refused before it reaches a query.
    public static let queryableDates = Date(timeIntervalSince1970: -62_135_596_800)...Date(timeIntervalSince1970: 253_402_300_799.999)

    static let columns = """
        campaign_id, session_id, started_at, ended_at, event_count, bytes, segment_count, first_url,
        (extract(epoch FROM started_at) * 1000000)::bigint
        """

    /// A page of a campaign's sessions that started in `[from, to)`, by start time then id, after
    /// `cursor`; `next` is set when more sessions follow.
    public func sessions(campaignID: UUID, from: Date?, to: Date?, limit: Int, after cursor: SessionCursor?)
        async throws -> (sessions: [SessionSummary], next: SessionCursor?)
    {
        let fromDate = from ?? Date(timeIntervalSince1970: 0)
        let toDate = to ?? Date(timeIntervalSince1970: 32_503_680_000)  // year 3000
        let afterMicros = cursor?.startedAtMicros ?? 0
        let afterSession = cursor?.session ?? ""
        let useCursor = cursor != nil
        let rows = try await all(
            """
            SELECT \(unescaped: Self.columns) FROM sessions
            WHERE campaign_id = \(campaignID) AND started_at >= \(fromDate) AND started_at < \(toDate)
              AND (NOT \(useCursor) OR (started_at, session_id) >
                   (TIMESTAMPTZ 'epoch' + \(afterMicros) * INTERVAL '1 microsecond', \(afterSession)))
            ORDER BY started_at, session_id
            LIMIT \(limit + 1)
            """, doing: "listing the sessions of campaign \(campaignID)")
        guard rows.count > limit else { return (rows, nil) }
        let page = Array(rows.prefix(limit))
        let last = page[page.count - 1]
        return (page, SessionCursor(startedAtMicros: last.startedAtMicros, session: last.id))
    }

    /// The sessions with this id: in `campaignID` when given, else in every campaign (ids are chosen
    /// by browsers, so two campaigns may share one).
    public func find(session: String, campaignID: UUID?) async throws -> [SessionSummary] {
        if let campaignID {
            return try await all(
                "SELECT \(unescaped: Self.columns) FROM sessions WHERE campaign_id = \(campaignID) AND session_id = \(session)",
                doing: "looking up session \(session)")
        }
        return try await all(
            "SELECT \(unescaped: Self.columns) FROM sessions WHERE session_id = \(session) ORDER BY started_at LIMIT 20",
            doing: "looking up session \(session)")
    }

    /// A session's segments in sequence order.
    public func segments(campaignID: UUID, session: String) async throws -> [SegmentRecord] {
        do {
            let rows = try await client.query(
                """
                SELECT object_key, first_seq, last_seq, event_count, bytes FROM segments
                WHERE campaign_id = \(campaignID) AND session_id = \(session)
                ORDER BY first_seq, uploaded_at, object_key
                """, logger: logger)
            var segments: [SegmentRecord] = []
            for try await (key, first, last, events, bytes) in rows.decode((String, Int64, Int64, Int64, Int64).self) {
                segments.append(SegmentRecord(objectKey: key, firstSeq: first, lastSeq: last, eventCount: events, bytes: bytes))
            }
            return segments
        } catch {
            throw DatabaseError(error, doing: "listing the segments of session \(session)")
        }
    }

    /// True when a campaign with this id exists.
    public func campaignExists(_ id: UUID) async throws -> Bool {
        do {
            let rows = try await client.query("SELECT 1 FROM campaigns WHERE id = \(id)", logger: logger)
            for try await _ in rows { return true }
            return false
        } catch {
            throw DatabaseError(error, doing: "looking up campaign \(id)")
        }
    }

    private func all(_ query: PostgresQuery, doing action: String) async throws -> [SessionSummary] {
        do {
            let rows = try await client.query(query, logger: logger)
            var sessions: [SessionSummary] = []
            for try await (campaign, id, started, ended, events, bytes, segments, url, micros) in rows.decode(
                (UUID, String, Date, Date, Int64, Int64, Int, String?, Int64).self)
            {
                sessions.append(SessionSummary(campaignID: campaign, id: id, startedAt: started, endedAt: ended,
                                               eventCount: events, bytes: bytes, segmentCount: segments,
                                               firstURL: url, startedAtMicros: micros))
            }
            return sessions
        } catch {
            throw DatabaseError(error, doing: action)
        }
    }
}
