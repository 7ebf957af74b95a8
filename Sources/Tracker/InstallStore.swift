import Database
import Foundation
import Logging
import PostgresNIO

/// The tracker's Postgres side: `site_days` upserts and the reads behind status and rewarm.
/// Timestamps cross the wire as milliseconds since 1970, days as day numbers since 1970-01-01.
struct InstallStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Upserts site-days in one statement: earliest first_seen, latest last_seen, and the version of
    /// the latest sighting. Idempotent and order-independent, so retries and concurrent writers agree.
    func upsert(_ rows: [(SiteDayKey, Sighting)]) async throws {
        guard !rows.isEmpty else { return }
        let campaigns = rows.map(\.0.campaign)
        let sites = rows.map { Int($0.0.site) }
        let days = rows.map { Int($0.0.day) }
        let firsts = rows.map { Int($0.1.first) }
        let lasts = rows.map { Int($0.1.last) }
        let versions = rows.map { $0.1.version ?? "" }
        do {
            try await client.query(
                """
                INSERT INTO site_days (campaign_id, site_id, day, first_seen, last_seen, snippet_version)
                SELECT c, s::int4, DATE '1970-01-01' + d::int4,
                       TIMESTAMPTZ 'epoch' + f * INTERVAL '1 millisecond',
                       TIMESTAMPTZ 'epoch' + l * INTERVAL '1 millisecond', NULLIF(v, '')
                FROM unnest(\(campaigns)::uuid[], \(sites)::int8[], \(days)::int8[], \(firsts)::int8[], \(lasts)::int8[],
                            \(versions)::text[]) AS t(c, s, d, f, l, v)
                ON CONFLICT (campaign_id, site_id, day) DO UPDATE SET
                    first_seen = LEAST(site_days.first_seen, EXCLUDED.first_seen),
                    last_seen = GREATEST(site_days.last_seen, EXCLUDED.last_seen),
                    snippet_version = CASE WHEN EXCLUDED.last_seen >= site_days.last_seen
                        THEN COALESCE(EXCLUDED.snippet_version, site_days.snippet_version)
                        ELSE COALESCE(site_days.snippet_version, EXCLUDED.snippet_version) END
                """, logger: logger)
        } catch {
            throw DatabaseError(error, doing: "recording \(rows.count) install sightings")
        }
    }

    struct SiteRow: Sendable {
        var site: Int
        var host: String
        var lastDay: Int
        var lastSeen: Int64
        var version: String?
    }

    /// Every site of a campaign that has a sighting, with its latest day's last sighting.
    func sites(campaign: UUID) async throws -> [SiteRow] {
        do {
            let rows = try await client.query(
                """
                SELECT s.site_id, s.host, (d.day - DATE '1970-01-01')::int8,
                       (EXTRACT(EPOCH FROM d.last_seen) * 1000)::int8, d.snippet_version
                FROM sites s
                JOIN LATERAL (
                    SELECT day, last_seen, snippet_version FROM site_days sd
                    WHERE sd.campaign_id = s.campaign_id AND sd.site_id = s.site_id
                    ORDER BY day DESC LIMIT 1
                ) d ON true
                WHERE s.campaign_id = \(campaign)
                ORDER BY s.site_id
                """, logger: logger)
            var result: [SiteRow] = []
            for try await (site, host, day, last, version) in rows.decode((Int, String, Int, Int, String?).self) {
                result.append(SiteRow(site: site, host: host, lastDay: day, lastSeen: Int64(last), version: version))
            }
            return result
        } catch {
            throw DatabaseError(error, doing: "reading the install status of campaign \(campaign)")
        }
    }

    /// Sites with a sighting per day, for days `from...to` (days without any are absent).
    func dailyCounts(campaign: UUID, from: UTCDay, to: UTCDay) async throws -> [Int: Int] {
        do {
            let rows = try await client.query(
                """
                SELECT (day - DATE '1970-01-01')::int8, count(*)::int8 FROM site_days
                WHERE campaign_id = \(campaign)
                  AND day BETWEEN DATE '1970-01-01' + \(from.number)::int4 AND DATE '1970-01-01' + \(to.number)::int4
                GROUP BY day
                """, logger: logger)
            var counts: [Int: Int] = [:]
            for try await (day, count) in rows.decode((Int, Int).self) { counts[day] = count }
            return counts
        } catch {
            throw DatabaseError(error, doing: "counting daily installs of campaign \(campaign)")
        }
    }

    /// A row to replay into Redis: a site-day (`day` set) or a site's latest sighting (`day` nil).
    struct WarmRow: Sendable {
        var campaign: UUID
        var site: Int
        var host: String
        var day: Int?
        var lastSeen: Int64
        var version: String?
    }

    /// Streams every site's latest sighting (all campaigns), for the `ever`, `seen`, `version` and
    /// `hosts` keys after Redis lost its data.
    func forEachLatestSighting(_ body: ([WarmRow]) async throws -> Void) async throws {
        try await stream(
            """
            SELECT DISTINCT ON (d.campaign_id, d.site_id) d.campaign_id, d.site_id, s.host, NULL::int8,
                   (EXTRACT(EPOCH FROM d.last_seen) * 1000)::int8, d.snippet_version
            FROM site_days d JOIN sites s ON s.campaign_id = d.campaign_id AND s.site_id = d.site_id
            ORDER BY d.campaign_id, d.site_id, d.day DESC
            """, doing: "reading sites to rewarm Redis", body)
    }

    /// Streams every site-day from `from` on (all campaigns), for the per-day bitmaps.
    func forEachSiteDay(from: UTCDay, _ body: ([WarmRow]) async throws -> Void) async throws {
        try await stream(
            """
            SELECT d.campaign_id, d.site_id, s.host, (d.day - DATE '1970-01-01')::int8,
                   (EXTRACT(EPOCH FROM d.last_seen) * 1000)::int8, d.snippet_version
            FROM site_days d JOIN sites s ON s.campaign_id = d.campaign_id AND s.site_id = d.site_id
            WHERE d.day >= DATE '1970-01-01' + \(from.number)::int4
            """, doing: "reading site-days to rewarm Redis", body)
    }

    private func stream(_ query: PostgresQuery, doing action: String, _ body: ([WarmRow]) async throws -> Void) async throws {
        do {
            let rows = try await client.query(query, logger: logger)
            var chunk: [WarmRow] = []
            chunk.reserveCapacity(1000)
            for try await (campaign, site, host, day, last, version) in rows.decode((UUID, Int, String, Int?, Int, String?).self) {
                chunk.append(WarmRow(campaign: campaign, site: site, host: host, day: day, lastSeen: Int64(last), version: version))
                if chunk.count == 1000 {
                    try await body(chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            if !chunk.isEmpty { try await body(chunk) }
        } catch let error as DatabaseError {
            throw error
        } catch let error as PSQLError {
            throw DatabaseError(error, doing: action)
        } catch let error where error is PostgresDecodingError {
            throw DatabaseError(error, doing: action)
        }
    }
}
