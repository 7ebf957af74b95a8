import Metrics

/// Metric names of the ingest path (Prometheus, via swift-metrics):
/// - `replayd_collector_batches_total{result}`: `accepted` or the error code
/// - `replayd_collector_events_total`: events in accepted batches
/// - `replayd_collector_newer_type_events_total`: of those, events of a type beyond rrweb 1's 0–6
///   (rrweb 2's, passed through untouched)
/// - `replayd_collector_bytes_total`: decompressed bytes of accepted batches
/// - `replayd_collector_batch_seconds{result}`: request time (histogram)
/// - `replayd_limiter_degraded_total`, `replayd_limiter_redis_calls_total` (see ``RateLimiter``)
enum CollectorMetrics {
    static let events = Counter(label: "replayd_collector_events_total")
    static let bytes = Counter(label: "replayd_collector_bytes_total")
    static let newerTypeEvents = Counter(label: "replayd_collector_newer_type_events_total")

    /// The accepted path's metrics, made once (looking a metric up by label costs a lock and hashing).
    static let accepted = batches("accepted")
    static let acceptedSeconds = batchSeconds("accepted")

    static func record(result: String, seconds: Double) {
        let nanoseconds = Int64(seconds * 1e9)
        if result == "accepted" {
            accepted.increment()
            acceptedSeconds.recordNanoseconds(nanoseconds)
        } else {
            batches(result).increment()
            batchSeconds(result).recordNanoseconds(nanoseconds)
        }
    }

    private static func batches(_ result: String) -> Counter {
        Counter(label: "replayd_collector_batches_total", dimensions: [("result", result)])
    }

    private static func batchSeconds(_ result: String) -> Timer {
        Timer(label: "replayd_collector_batch_seconds", dimensions: [("result", result)], preferredDisplayUnit: .seconds)
    }
}
