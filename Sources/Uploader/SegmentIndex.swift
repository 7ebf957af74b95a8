import Core
import Foundation
import Logging
import PostgresNIO

/// Records uploaded segments in Postgres (`segments`, and the session's totals in `sessions`).
///
/// Idempotent: the segment row is keyed by object key and the session's totals grow only when that
/// row is new, so re-indexing after a crash or retry changes nothing.
struct SegmentIndex: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Returns true when the segment was new.
    @discardableResult
    func record(key: String, segment: ClosedSegment, metadata: SegmentMetadata, bytes: Int64) async throws -> Bool {
        let campaign = segment.campaignID
        let session = segment.session
        let first = Date(timeIntervalSince1970: metadata.firstTimestamp / 1000)
        let last = Date(timeIntervalSince1970: metadata.lastTimestamp / 1000)
        let events = Int64(metadata.eventCount)
        let firstSeq = Int64(metadata.firstSeq)
        let lastSeq = Int64(metadata.lastSeq)
        let url = metadata.pageURL
        let agent = UserAgentInfo.parse(metadata.userAgent)
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { connection -> Bool in
            try await connection.query("""
                INSERT INTO sessions (campaign_id, session_id, started_at, ended_at, event_count, bytes, segment_count, first_url)
                VALUES (\(campaign), \(session), \(first), \(last), 0, 0, 0, NULL)
                ON CONFLICT (campaign_id, session_id) DO NOTHING
                """, logger: logger)
            let inserted = try await connection.query("""
                INSERT INTO segments (object_key, campaign_id, session_id, first_seq, last_seq, first_ts, last_ts, event_count, bytes,
                                      ordered)
                VALUES (\(key), \(campaign), \(session), \(firstSeq), \(lastSeq), \(first), \(last), \(events), \(bytes),
                        \(metadata.ordered))
                ON CONFLICT (object_key) DO NOTHING
                RETURNING object_key
                """, logger: logger)
            var isNew = false
            for try await _ in inserted { isNew = true }
            guard isNew else { return false }
            try await connection.query("""
                UPDATE sessions SET
                    first_url = CASE WHEN first_url IS NULL OR \(first) < started_at THEN COALESCE(\(url), first_url) ELSE first_url END,
                    started_at = LEAST(started_at, \(first)),
                    ended_at = GREATEST(ended_at, \(last)),
                    event_count = event_count + \(events),
                    bytes = bytes + \(bytes),
                    segment_count = segment_count + 1,
                    batch_count = batch_count + \(Int64(metadata.batchCount)),
                    min_seq = LEAST(min_seq, \(firstSeq)),
                    max_seq = GREATEST(max_seq, \(lastSeq)),
                    user_agent = COALESCE(user_agent, \(metadata.userAgent)),
                    browser = COALESCE(browser, \(agent?.browser)),
                    os = COALESCE(os, \(agent?.os)),
                    device = COALESCE(device, \(agent?.device)),
                    ended = false,
                    updated_at = now()
                WHERE campaign_id = \(campaign) AND session_id = \(session)
                """, logger: logger)
            if let summary = metadata.summary {
                try await connection.query(Self.addSummary(summary, campaign: campaign, session: session), logger: logger)
            }
            return true
        }
    }

    /// Adds a segment's activity to its session's summary columns (urls: first first, each once, at
    /// most ``ActivitySummary/maxURLs``).
    static func addSummary(_ summary: ActivitySummary, campaign: UUID, session: String) -> PostgresQuery {
        let fullSnapshot = summary.firstFullSnapshot.map { Date(timeIntervalSince1970: $0 / 1000) }
        let incremental = summary.firstIncremental.map { Date(timeIntervalSince1970: $0 / 1000) }
        return """
            UPDATE sessions SET
                active_ms = active_ms + \(Int64(summary.activeMillis.rounded())),
                clicks = clicks + \(summary.clicks),
                keypresses = keypresses + \(summary.keypresses),
                scrolls = scrolls + \(summary.scrolls),
                rage_clicks = rage_clicks + \(summary.rageClicks),
                dead_clicks = dead_clicks + \(summary.deadClicks),
                console_errors = console_errors + \(summary.consoleErrors),
                console_warnings = console_warnings + \(summary.consoleWarnings),
                unknown_sources = unknown_sources + \(summary.unknownSources),
                urls = ARRAY(SELECT u FROM (SELECT u, min(o) AS o FROM unnest(urls || \(summary.urls)::text[]) WITH ORDINALITY AS t(u, o)
                             GROUP BY u) d ORDER BY o LIMIT \(ActivitySummary.maxURLs)),
                viewport_width = COALESCE(\(summary.viewportWidth), viewport_width),
                viewport_height = COALESCE(\(summary.viewportHeight), viewport_height),
                first_full_snapshot_at = LEAST(first_full_snapshot_at, \(fullSnapshot)),
                first_incremental_at = LEAST(first_incremental_at, \(incremental)),
                summarized_segments = summarized_segments + 1
            WHERE campaign_id = \(campaign) AND session_id = \(session)
            """
    }
}
