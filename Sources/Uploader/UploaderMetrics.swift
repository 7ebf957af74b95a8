import Metrics

/// Metrics of the spool and the segment uploader (swift-metrics; stable names):
///
/// | name | type | meaning |
/// |---|---|---|
/// | `replayd_spool_appends_total{result="appended"\|"duplicate"}` | counter | batches given to ``Spool/write(_:)`` |
/// | `replayd_spool_appended_bytes_total` | counter | uncompressed line bytes written |
/// | `replayd_spool_open_segments` | gauge | segments accepting batches |
/// | `replayd_spool_open_compressors` | gauge | gzip compressors allocated (≤ `maxOpenSegments`) |
/// | `replayd_spool_live_sessions` | gauge | sessions tracked |
/// | `replayd_spool_closed_segments` | gauge | closed segments waiting for upload |
/// | `replayd_spool_bytes` | gauge | compressed bytes of segment files on disk: batches on this disk only, not yet in S3 |
/// | `replayd_spool_unuploaded_holds` | gauge | log offsets held by segments not yet in S3 (commit after S3; one per segment and partition) |
/// | `replayd_spool_quarantined_segments` | gauge | segments in the quarantine directory that still hold their partition's commit |
/// | `replayd_spool_quarantined_total{kind="upload_refused"\|"corrupt_recovery"}` | counter | files moved to quarantine (``SpoolQuarantine``) |
/// | `replayd_spool_recovery_cuts_total{cause="truncated"\|"corrupt"}` | counter | leftover files whose unreadable end recovery cut off (`corrupt`: the damaged original is quarantined) |
/// | `replayd_spool_evictions_total` | counter | compressors finished to make room (LRU) |
/// | `replayd_spool_segments_closed_total{reason="idle"\|"size"\|"age"\|"commit_delay"\|"handover"\|"shutdown"}` | counter | segments closed |
/// | `replayd_spool_commit_seconds` | timer | one group commit (flush + parallel fsyncs) |
/// | `replayd_spool_commit_files` | recorder | files fsynced per group commit |
/// | `replayd_spool_recovered_segments_total` | counter | leftover files found at start-up |
/// | `replayd_upload_seconds{method="put"\|"multipart"}` | timer | S3 upload of one segment (with verification) |
/// | `replayd_upload_bytes_total` | counter | compressed bytes uploaded |
/// | `replayd_uploads_total{method="put"\|"multipart"}` | counter | segments uploaded and indexed |
/// | `replayd_upload_failures_total{stage="recover"\|"s3"\|"index"\|"delete"}` | counter | failed attempts (transient ones are retried; permanent S3 refusals quarantine the segment) |
/// | `replayd_upload_aborted_multipart_total` | counter | abandoned multipart uploads aborted (at start-up, and a killed run's upload of a segment once it is uploaded again) |
///
/// Gauges are refreshed on every idle/age check (each ``SegmentUploaderConfiguration/checkInterval``)
/// and at shutdown.
public enum UploaderMetrics {
    static let appended = Counter(label: "replayd_spool_appends_total", dimensions: [("result", "appended")])
    static let duplicates = Counter(label: "replayd_spool_appends_total", dimensions: [("result", "duplicate")])
    static let conflicts = Counter(label: "replayd_spool_appends_total", dimensions: [("result", "conflict")])
    static let appendedBytes = Counter(label: "replayd_spool_appended_bytes_total")
    static let openSegments = Gauge(label: "replayd_spool_open_segments")
    static let openCompressors = Gauge(label: "replayd_spool_open_compressors")
    static let liveSessions = Gauge(label: "replayd_spool_live_sessions")
    static let closedSegments = Gauge(label: "replayd_spool_closed_segments")
    static let spoolBytes = Gauge(label: "replayd_spool_bytes")
    static let evictions = Counter(label: "replayd_spool_evictions_total")
    static let commitSeconds = Metrics.Timer(label: "replayd_spool_commit_seconds")
    static let commitFiles = Recorder(label: "replayd_spool_commit_files")
    static let recovered = Counter(label: "replayd_spool_recovered_segments_total")
    static func closed(_ reason: SegmentCloseReason) -> Counter {
        Counter(label: "replayd_spool_segments_closed_total", dimensions: [("reason", reason.rawValue)])
    }
    static func uploadSeconds(multipart: Bool) -> Metrics.Timer {
        Metrics.Timer(label: "replayd_upload_seconds", dimensions: [("method", multipart ? "multipart" : "put")])
    }
    static func uploads(multipart: Bool) -> Counter {
        Counter(label: "replayd_uploads_total", dimensions: [("method", multipart ? "multipart" : "put")])
    }
    static let uploadBytes = Counter(label: "replayd_upload_bytes_total")
    static func failures(_ stage: String) -> Counter {
        Counter(label: "replayd_upload_failures_total", dimensions: [("stage", stage)])
    }
    static let abortedMultipart = Counter(label: "replayd_upload_aborted_multipart_total")
    static let holds = Gauge(label: "replayd_spool_unuploaded_holds")
    static let quarantinedSegments = Gauge(label: "replayd_spool_quarantined_segments")
    static func quarantined(_ kind: SpoolQuarantine.Kind) -> Counter {
        Counter(label: "replayd_spool_quarantined_total", dimensions: [("kind", kind.rawValue)])
    }
    static func recoveryCuts(_ cause: String) -> Counter {
        Counter(label: "replayd_spool_recovery_cuts_total", dimensions: [("cause", cause)])
    }

    static func update(_ statistics: SpoolStatistics) {
        openSegments.record(statistics.openSegments)
        openCompressors.record(statistics.openCompressors)
        liveSessions.record(statistics.liveSessions)
        closedSegments.record(statistics.closedSegments)
        spoolBytes.record(statistics.bytesOnDisk)
        holds.record(statistics.holds)
        quarantinedSegments.record(statistics.quarantinedSegments)
    }
}
