/// Why a record went to the dead-letter topic: the `dlq-reason` header and the `reason` label of
/// `replayd_processor_dead_letters_total`. Stable strings; operators filter replays by them.
public enum DeadLetterReason: String, Sendable, CaseIterable, Codable {
    /// The value is not a JSON batch (not JSON, or not an object with key, session, seq and events).
    case undecodable
    /// A JSON batch that fails validation (field formats, event types, timestamps, sizes), or whose
    /// headers contradict its body.
    case invalidBatch = "invalid_batch"
    /// The `campaign` header is missing or not a UUID.
    case missingCampaign = "missing_campaign"
    /// No campaign with the `campaign` header's id exists.
    case unknownCampaign = "unknown_campaign"
    /// A transient failure (spool, PostgreSQL, ...) outlasted every retry.
    case retriesExhausted = "retries_exhausted"
}
