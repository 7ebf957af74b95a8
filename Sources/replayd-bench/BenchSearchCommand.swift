import ArgumentParser
import Core
import Database
import Foundation
import Logging
import Playback
import PostgresNIO
import ReplaydKit

/// `replayd-bench search`: one filtered page of `GET /v1/campaigns/{id}/sessions` over a campaign
/// with a million sessions. Seeds a database of its own (`<database>_search_bench`, dropped after
/// unless `--keep`) with sessions whose summary columns are spread like real traffic (most sessions
/// short, few with rage clicks or console errors, some unplayable), then times each filter through
/// `SessionStore` (the service's own query) against the plain first page by start time (the
/// ceiling: one index range scan) and prints each plan from `EXPLAIN ANALYZE`.
struct BenchSearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Time filtered session-list pages over a million sessions (benchmark).")

    @Option(help: "Sessions in the campaign.") var sessions: Int = 1_000_000
    @Option(help: "Timed runs per query; the median is reported.") var runs: Int = 15
    @Flag(help: "Keep the seeded database (reruns skip seeding).") var keep = false
    @Flag(help: "Print each query's EXPLAIN ANALYZE plan.") var plans = false

    func run() async throws {
        let config = try ReplaydConfiguration.load()
        Observability.bootstrapLogging(logLevel: .warning)
        let logger = Logger(label: "bench.search")
        let database = try await BenchDatabase.open(config.postgres, suffix: "search_bench", logger: logger)
        let count = sessions, runs = runs, plans = plans, exists = database.existed
        try await PostgresClient.withClient(database.target, logger: logger) { client in
            _ = try await Migrator(logger: logger).migrate(client)
            let campaign = try await Self.seed(client, sessions: count, reuse: exists, logger: logger)
            try await Self.measure(client, campaign: campaign, runs: runs, plans: plans, logger: logger)
        }
        if !keep { try await database.drop(logger: logger) }
    }

    /// One campaign with `sessions` sessions over the last 30 days (skipped when already there).
    static func seed(_ client: PostgresClient, sessions: Int, reuse: Bool, logger: Logger) async throws -> UUID {
        if reuse {
            let rows = try await client.query("SELECT id FROM campaigns WHERE name = 'search-bench'", logger: logger)
            for try await id in rows.decode(UUID.self) { return id }
        }
        let store = CampaignStore(client: client, logger: logger)
        let campaign = try await store.create(.init(name: "search-bench", allowedOrigins: ["*"]))
        let started = ContinuousClock.now
        // Deterministic pseudo-random columns from the row number (hashtext), in chunks of 100,000.
        var done = 0
        while done < sessions {
            let chunk = min(100_000, sessions - done)
            try await client.query("""
                INSERT INTO sessions (campaign_id, session_id, started_at, ended_at, event_count, bytes, segment_count, first_url,
                  active_ms, clicks, keypresses, scrolls, rage_clicks, dead_clicks, console_errors, console_warnings, urls,
                  browser, os, device, viewport_width, viewport_height, first_full_snapshot_at, first_incremental_at,
                  batch_count, min_seq, max_seq, summarized_segments, ended)
                SELECT \(campaign.id), 's' || n, start, start + d * INTERVAL '1 millisecond', 50 + h % 5000, 10000 + h % 900000, 1,
                  'https://shop.example.com/p/' || (h % 500),
                  (d * (h % 100)) / 100, h % 40, (h / 7) % 60, (h / 11) % 30,
                  CASE WHEN h % 50 = 0 THEN 1 + h % 3 ELSE 0 END, CASE WHEN h % 9 = 0 THEN 1 ELSE 0 END,
                  CASE WHEN h % 20 = 0 THEN 1 + h % 4 ELSE 0 END, h % 3,
                  ARRAY['https://shop.example.com/p/' || (h % 500), 'https://shop.example.com/cart/' || (h % 97)],
                  (ARRAY['Chrome','Safari','Firefox','Edge','Samsung Internet'])[1 + h % 5],
                  (ARRAY['Windows','macOS','iOS','Android','Linux'])[1 + (h / 5) % 5],
                  (ARRAY['desktop','mobile','mobile','tablet'])[1 + (h / 25) % 4], 1280, 800,
                  CASE WHEN h % 40 = 0 THEN NULL ELSE start END, start + INTERVAL '5 millisecond',
                  10 + h % 50, 0, 9 + h % 50 + CASE WHEN h % 33 = 0 THEN 1 ELSE 0 END, 1, start < now() - INTERVAL '1 hour'
                FROM (SELECT n, abs(hashtext(n::text)) AS h FROM generate_series(\(done + 1), \(done + chunk)) AS n) r,
                  LATERAL (SELECT now() - (h % 2592000000) * INTERVAL '1 millisecond' AS start,
                                  CASE WHEN h % 10 = 0 THEN 600000 + h % 3000000 ELSE 2000 + h % 300000 END AS d) s
                """, logger: logger)
            done += chunk
        }
        try await client.query("ANALYZE sessions", logger: logger)
        print("seeded \(sessions) sessions in \(started.duration(to: .now))")
        return campaign.id
    }

    static func measure(_ client: PostgresClient, campaign: UUID, runs: Int, plans: Bool, logger: Logger) async throws {
        var cases: [(String, SessionFilter, SessionSort)] = []
        func add(_ name: String, sort: SessionSort = SessionSort(), _ change: (inout SessionFilter) -> Void = { _ in }) {
            var filter = SessionFilter()
            change(&filter)
            cases.append((name, filter, sort))
        }
        add("first page by start (ceiling)")
        add("newest first", sort: SessionSort(key: .startedAt, descending: true))
        add("min_clicks=30") { $0.minClicks = 30 }
        add("min_rage_clicks=1") { $0.minRageClicks = 1 }
        add("has_console_errors=true") { $0.hasConsoleErrors = true }
        add("playable=false") { $0.playable = false }
        add("browser=safari&device=mobile") { $0.setBrowser("safari"); $0.setDevice("mobile") }
        add("url_contains=/cart/42") { $0.urlContains = "/cart/42" }
        add("min_duration_ms=600000") { $0.minDurationMs = 600_000 }
        add("sort=-duration", sort: SessionSort(key: .duration, descending: true))
        add("sort=-activity&min_active_ms=60000", sort: SessionSort(key: .activity, descending: true)) { $0.minActiveMs = 60_000 }
        add("min_rage_clicks=1&has_console_errors=true&device=desktop") {
            $0.minRageClicks = 1; $0.hasConsoleErrors = true; $0.setDevice("desktop")
        }
        let store = SessionStore(client: client, logger: logger)
        var ceiling: Double?
        print("| query | rows | median ms | p90 ms | ratio to the ceiling |")
        print("| --- | --- | --- | --- | --- |")
        for (name, filter, sort) in cases {
            var times: [Double] = []
            var rows = 0
            for _ in 0..<(runs + 1) {
                let start = ContinuousClock.now
                let page = try await store.sessions(campaignID: campaign, from: nil, to: nil, filter: filter, sort: sort, limit: 50, after: nil)
                let elapsed = start.duration(to: .now)
                rows = page.sessions.count
                times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
            }
            times.removeFirst()  // warm-up
            times.sort()
            let median = times[times.count / 2], p90 = times[min(times.count - 1, times.count * 9 / 10)]
            if ceiling == nil { ceiling = median }
            print("| `\(name)` | \(rows) | \(String(format: "%.1f", median)) | \(String(format: "%.1f", p90)) | \(String(format: "%.2f", median / (ceiling ?? median))) |")
            if plans {
                var query = SessionStore.listQuery(campaignID: campaign, from: nil, to: nil, filter: filter, sort: sort, limit: 51, after: nil)
                query.sql = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + query.sql
                var lines: [String] = []
                for try await line in try await client.query(query, logger: logger).decode(String.self) { lines.append(line) }
                print("```\n-- \(name)\n" + lines.joined(separator: "\n") + "\n```")
            }
        }
    }
}
