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
        (extract(epoch FROM started_at) * 1000000)::bigint,
        active_ms, clicks, keypresses, scrolls, rage_clicks, dead_clicks, console_errors, console_warnings, urls,
        browser, os, device, viewport_width, viewport_height, first_full_snapshot_at, first_incremental_at,
        batch_count, min_seq, max_seq, summarized_segments, ended
        """

    /// The list's query (public for the search benchmark, which runs it under `EXPLAIN ANALYZE`).
    public static func listQuery(campaignID: UUID, from: Date?, to: Date?, filter: SessionFilter, sort: SessionSort,
                                 limit: Int, after cursor: SessionCursor?) -> PostgresQuery {
        let fromDate = from ?? Date(timeIntervalSince1970: 0)
        let toDate = to ?? Date(timeIntervalSince1970: 32_503_680_000)  // year 3000
        let afterKey = cursor?.startedAtMicros ?? 0
        let afterSession = cursor?.session ?? ""
        let useCursor = cursor != nil
        let key = sort.sql
        let direction = sort.descending ? "DESC" : "ASC"
        let after = sort.descending ? "<" : ">"
        let (cursorPrefix, cursorSuffix) = sort.cursorSQL
        let f = filter
        return """
            SELECT \(unescaped: columns) FROM sessions
            WHERE campaign_id = \(campaignID) AND started_at >= \(fromDate) AND started_at < \(toDate)
              AND (NOT \(useCursor) OR (\(unescaped: key), session_id) \(unescaped: after)
                   (\(unescaped: cursorPrefix)\(afterKey)\(unescaped: cursorSuffix), \(afterSession)))
              AND (\(f.minDurationMs)::bigint IS NULL OR ended_at - started_at >= \(f.minDurationMs ?? 0) * INTERVAL '1 millisecond')
              AND (\(f.maxDurationMs)::bigint IS NULL OR ended_at - started_at <= \(f.maxDurationMs ?? 0) * INTERVAL '1 millisecond')
              AND (\(f.minActiveMs)::bigint IS NULL OR active_ms >= \(f.minActiveMs))
              AND (\(f.urlContains)::text IS NULL OR strpos(COALESCE(first_url, ''), \(f.urlContains)) > 0
                   OR EXISTS (SELECT 1 FROM unnest(urls) AS u WHERE strpos(u, \(f.urlContains)) > 0))
              AND (\(f.minClicks)::integer IS NULL OR clicks >= \(f.minClicks))
              AND (\(f.minRageClicks)::integer IS NULL OR rage_clicks >= \(f.minRageClicks))
              AND (\(f.minRageClicks ?? 0) < 1 OR rage_clicks > 0)
              AND (\(f.hasConsoleErrors)::boolean IS NULL OR (console_errors > 0) = \(f.hasConsoleErrors))
              AND (\(f.hasConsoleErrors) IS NOT TRUE OR console_errors > 0)
              AND (\(f.browser)::text IS NULL OR browser = \(f.browser))
              AND (\(f.device)::text IS NULL OR device = \(f.device))
              AND (\(f.playable)::boolean IS NULL OR \(unescaped: SessionActivityColumns.playableSQL) = \(f.playable))
              AND (\(f.ended)::boolean IS NULL OR ended = \(f.ended))
            ORDER BY \(unescaped: key) \(unescaped: direction), session_id \(unescaped: direction)
            LIMIT \(limit)
            """
    }

    /// A page of a campaign's sessions that started in `[from, to)` and pass `filter`, in `sort`
    /// order then by id, after `cursor` (which carries the sort key of the last row); `next` is set
    /// when more sessions follow.
    public func sessions(campaignID: UUID, from: Date?, to: Date?, filter: SessionFilter = SessionFilter(),
                         sort: SessionSort = SessionSort(), limit: Int, after cursor: SessionCursor?)
        async throws -> (sessions: [SessionSummary], next: SessionCursor?)
    {
        let rows = try await all(Self.listQuery(campaignID: campaignID, from: from, to: to, filter: filter, sort: sort,
                                                limit: limit + 1, after: cursor),
                                 doing: "listing the sessions of campaign \(campaignID)")
        guard rows.count > limit else { return (rows, nil) }
        let page = Array(rows.prefix(limit))
        let last = page[page.count - 1]
        return (page, SessionCursor(startedAtMicros: sort.value(of: last), session: last.id))
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
                SELECT object_key, first_seq, last_seq, event_count, bytes, ordered FROM segments
                WHERE campaign_id = \(campaignID) AND session_id = \(session)
                ORDER BY first_seq, uploaded_at, object_key
                """, logger: logger)
            var segments: [SegmentRecord] = []
            for try await (key, first, last, events, bytes, ordered) in rows.decode((String, Int64, Int64, Int64, Int64, Bool).self) {
                segments.append(SegmentRecord(objectKey: key, firstSeq: first, lastSeq: last, eventCount: events, bytes: bytes,
                                              ordered: ordered))
            }
            return segments
        } catch {
            throw DatabaseError(error, doing: "listing the segments of session \(session)")
        }
    }

    /// What playing a session needs, in one round trip (the events endpoint's time to first byte):
    /// per campaign holding a session with this id (only `campaignID` when given), its end and its
    /// segments in sequence order.
    public func playbackSegments(session: String, campaignID: UUID?) async throws -> [SessionSegments] {
        do {
            let rows = if let campaignID {
                try await client.execute(PlaybackSegmentsStatement.InCampaign(campaign: campaignID, session: session), logger: logger)
            } else {
                try await client.execute(PlaybackSegmentsStatement.AnyCampaign(session: session), logger: logger)
            }
            var found: [SessionSegments] = []
            for try await (campaign, ended, key, first, last, events, bytes, ordered) in rows {
                if found.last?.campaignID != campaign {
                    if found.count == 20 { break }
                    found.append(SessionSegments(campaignID: campaign, session: session, endedAt: ended, segments: []))
                }
                guard let key, let first, let last, let events, let bytes else { continue }
                found[found.count - 1].segments.append(SegmentRecord(
                    objectKey: key, firstSeq: first, lastSeq: last, eventCount: events, bytes: bytes, ordered: ordered ?? false))
            }
            return found
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
            for try await row in rows {
                let r = row.makeRandomAccess()
                var session = SessionSummary(
                    campaignID: try r[0].decode(UUID.self), id: try r[1].decode(String.self), startedAt: try r[2].decode(Date.self),
                    endedAt: try r[3].decode(Date.self), eventCount: try r[4].decode(Int64.self), bytes: try r[5].decode(Int64.self),
                    segmentCount: try r[6].decode(Int.self), firstURL: try r[7].decode(String?.self),
                    startedAtMicros: try r[8].decode(Int64.self))
                var a = SessionActivityColumns()
                a.activeMillis = try r[9].decode(Int64.self)
                a.clicks = try r[10].decode(Int.self)
                a.keypresses = try r[11].decode(Int.self)
                a.scrolls = try r[12].decode(Int.self)
                a.rageClicks = try r[13].decode(Int.self)
                a.deadClicks = try r[14].decode(Int.self)
                a.consoleErrors = try r[15].decode(Int.self)
                a.consoleWarnings = try r[16].decode(Int.self)
                a.urls = try r[17].decode([String].self)
                a.browser = try r[18].decode(String?.self)
                a.os = try r[19].decode(String?.self)
                a.device = try r[20].decode(String?.self)
                a.viewportWidth = try r[21].decode(Int?.self)
                a.viewportHeight = try r[22].decode(Int?.self)
                a.firstFullSnapshot = try r[23].decode(Date?.self)
                a.firstIncremental = try r[24].decode(Date?.self)
                a.batchCount = try r[25].decode(Int64.self)
                a.minSeq = try r[26].decode(Int64?.self)
                a.maxSeq = try r[27].decode(Int64?.self)
                a.summarizedSegments = try r[28].decode(Int.self)
                a.ended = try r[29].decode(Bool.self)
                session.activity = a
                sessions.append(session)
            }
            return sessions
        } catch {
            throw DatabaseError(error, doing: action)
        }
    }
}
