import Kafka
import Metrics
import Uploader

/// The Processor's metrics (swift-metrics; Prometheus names once the executable bootstrapped it).
///
/// | name | type | labels | meaning |
/// | --- | --- | --- | --- |
/// | `replayd_processor_records_total` | counter | `result` = `stored`, `duplicate`, `dead_lettered` | records finished |
/// | `replayd_processor_retries_total` | counter | | transient failures that were scheduled for a retry |
/// | `replayd_processor_dead_letters_total` | counter | `reason` (a ``DeadLetterReason``) | records sent to the dead-letter topic |
/// | `replayd_processor_lag` | gauge | `partition` = `topic[n]` | high watermark minus the next offset to process |
/// | `replayd_processor_paused_partitions` | gauge | | partitions paused while a record waits for its retry |
/// | `replayd_processor_commits_total` | counter | `result` = `ok`, `failed` | offset commits sent (asynchronously; a failure reported later is logged and the offsets go with the next commit) |
/// | `replayd_processor_durable_wait_seconds` | timer | | time from a durable group's start until the loop found it durable |
/// | `replayd_processor_spool_bytes` | gauge | | compressed bytes of the spool's segment files |
/// | `replayd_processor_open_sessions` | gauge | | sessions the spool tracks |
/// | `replayd_processor_oldest_unuploaded_seconds` | gauge | `partition` | how long the partition's oldest batch not yet in S3 has been in the spool (its commit waits for it; `REPLAYD_COMMIT_MAX_DELAY` bounds it unless S3 or PostgreSQL is failing) |
/// | `replayd_processor_campaign_stale_total` | counter | | campaign lookups answered from the stale cache while PostgreSQL failed |
/// | `replayd_processor_rebalances_total` | counter | `event` = `assigned`, `revoked` | group rebalances seen by this instance |
/// | `replayd_processor_spool_full` | gauge | | 1 while the spool is over its disk budget (`REPLAYD_SPOOL_MAX_BYTES`, `REPLAYD_SPOOL_MIN_FREE_BYTES`) and no record is taken |
/// | `replayd_processor_unassigned_seconds` | gauge | | how long this instance has had no partition (0 while it has some) |
/// | `replayd_processor_assignment_stuck` | gauge | | 1 when it has waited longer than `REPLAYD_PROCESSOR_ASSIGNMENT_WAIT` although the group has no more members than partitions |
///
/// Records per second is `rate(replayd_processor_records_total[1m])`; upload latency is the
/// Uploader's own `replayd_uploader_*` metrics.
struct ProcessorMetrics: Sendable {
    let stored = Counter(label: "replayd_processor_records_total", dimensions: [("result", "stored")])
    let duplicate = Counter(label: "replayd_processor_records_total", dimensions: [("result", "duplicate")])
    /// Stored beside another batch with the same (session, seq) and other bytes.
    let conflict = Counter(label: "replayd_processor_records_total", dimensions: [("result", "conflict")])
    let deadLettered = Counter(label: "replayd_processor_records_total", dimensions: [("result", "dead_lettered")])
    let retries = Counter(label: "replayd_processor_retries_total")
    let pausedPartitions = Gauge(label: "replayd_processor_paused_partitions")
    let commitsOK = Counter(label: "replayd_processor_commits_total", dimensions: [("result", "ok")])
    let commitsFailed = Counter(label: "replayd_processor_commits_total", dimensions: [("result", "failed")])
    let durableWait = Timer(label: "replayd_processor_durable_wait_seconds")
    let spoolBytes = Gauge(label: "replayd_processor_spool_bytes")
    let openSessions = Gauge(label: "replayd_processor_open_sessions")
    let assigned = Counter(label: "replayd_processor_rebalances_total", dimensions: [("event", "assigned")])
    let revoked = Counter(label: "replayd_processor_rebalances_total", dimensions: [("event", "revoked")])
    let spoolFull = Gauge(label: "replayd_processor_spool_full")
    let unassignedSeconds = Gauge(label: "replayd_processor_unassigned_seconds")
    let assignmentStuck = Gauge(label: "replayd_processor_assignment_stuck")

    func deadLetter(_ reason: DeadLetterReason) {
        Counter(label: "replayd_processor_dead_letters_total", dimensions: [("reason", reason.rawValue)]).increment()
        deadLettered.increment()
    }

    func oldestUnuploaded(_ partition: KafkaTopicPartition, _ age: Duration) {
        Gauge(label: "replayd_processor_oldest_unuploaded_seconds", dimensions: [("partition", partition.description)])
            .record(Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18)
    }

    func lag(_ partition: KafkaTopicPartition, _ value: Int64) {
        Gauge(label: "replayd_processor_lag", dimensions: [("partition", partition.description)]).record(value)
    }
}

extension ProcessorMetrics {
    func reportSpool(_ spool: Spool) {
        let statistics = spool.statistics
        spoolBytes.record(statistics.bytesOnDisk)
        openSessions.record(statistics.liveSessions)
    }
}
