import Metrics

/// Metric names of the ingest path (Prometheus, via swift-metrics):
/// - `replayd_collector_batches_total{result}`: `accepted` or the error code
/// - `replayd_collector_events_total`: events in accepted batches
/// - `replayd_collector_bytes_total`: decompressed bytes of accepted batches
/// - `replayd_collector_batch_seconds{result}`: request time (histogram)
/// - `replayd_limiter_degraded_total`, `replayd_limiter_redis_calls_total` (see ``RateLimiter``)
enum CollectorMetrics {
    static let events = Counter(label: "replayd_collector_events_total")
    static let bytes = Counter(label: "replayd_collector_bytes_total")

    static func record(result: String, seconds: Double) {
        Counter(label: "replayd_collector_batches_total", dimensions: [("result", result)]).increment()
        Timer(label: "replayd_collector_batch_seconds", dimensions: [("result", result)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(seconds * 1e9))
    }
}
