import Metrics

/// Metric names of the install tracker (Prometheus, via swift-metrics):
/// - `replayd_tracker_pings_total{store}`: pings recorded, by where they went: `redis`, `postgres`
///   (Redis unreachable), `memory` (both unreachable, held until Postgres is back)
/// - `replayd_tracker_fallback_total`: pings that could not use Redis
/// - `replayd_tracker_pending_upserts`: site-days waiting to be written to Postgres (gauge)
/// - `replayd_tracker_upserts_total`: site-day rows written by the background writer
/// - `replayd_tracker_upsert_failures_total`: failed upsert batches (rows kept and retried)
/// - `replayd_tracker_rewarms_total{kind}`: Redis rebuilt from Postgres, `full` or `partial`
/// - `replayd_tracker_status_total{source}`: status answers by store (`redis` or `postgres`)
enum TrackerMetrics {
    static let redisPings = Counter(label: "replayd_tracker_pings_total", dimensions: [("store", "redis")])
    static let recentPings = Counter(label: "replayd_tracker_pings_total", dimensions: [("store", "recent")])

    static func ping(store: String) {
        switch store {
        case "redis": redisPings.increment()
        case "recent": recentPings.increment()
        default: Counter(label: "replayd_tracker_pings_total", dimensions: [("store", store)]).increment()
        }
    }
    static let fallback = Counter(label: "replayd_tracker_fallback_total")
    static let pending = Gauge(label: "replayd_tracker_pending_upserts")
    static let upserts = Counter(label: "replayd_tracker_upserts_total")
    static let upsertFailures = Counter(label: "replayd_tracker_upsert_failures_total")
    static func rewarm(kind: String) {
        Counter(label: "replayd_tracker_rewarms_total", dimensions: [("kind", kind)]).increment()
    }
    static func status(source: String) {
        Counter(label: "replayd_tracker_status_total", dimensions: [("source", source)]).increment()
    }
}
