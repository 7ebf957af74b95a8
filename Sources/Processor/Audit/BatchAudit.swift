import Core
import Foundation
import Kafka
import Logging
import S3
import Uploader

/// `replayd audit`: compares what the batches topic (from its earliest retained offset), the
/// dead-letter topic and an optional expectations file say was accepted with what is in S3.
///
/// A batch is *missing* when it is in Kafka (or expected) but in no S3 object with the same bytes,
/// and not in the dead-letter topic. Identical copies in S3 are *duplicated* (playback removes
/// them); different batches under one (session, seq) are *conflicting*.
public struct BatchAudit: Sendable {
    public struct Scope: Sendable {
        public var campaignID: UUID?
        /// Batches the Collector accepted (`received-at`) in this range.
        public var since: Date?
        public var until: Date?
        /// At most this many records are read from the batches topic.
        public var maxRecords = 2_000_000

        public init(campaignID: UUID? = nil, since: Date? = nil, until: Date? = nil) {
            self.campaignID = campaignID
            self.since = since
            self.until = until
        }

        func includes(campaign: UUID, receivedAt: Date?) -> Bool {
            if let campaignID, campaign != campaignID { return false }
            guard let receivedAt else { return since == nil && until == nil }
            if let since, receivedAt < since { return false }
            if let until, receivedAt > until { return false }
            return true
        }
    }

    /// What was read, for progress and the summary.
    public struct Counts: Sendable, Equatable {
        public var topicRecords = 0
        public var inScope = 0
        /// Records in scope whose batch does not validate (they are the dead-letter topic's).
        public var invalid = 0
        public var deadLetters = 0
        public var truncated = false

        public init() {}
    }

    let s3: S3Client
    let keyPrefix: String
    let logger: Logger

    public init(s3: S3Client, keyPrefix: String, logger: Logger) {
        self.s3 = s3
        self.keyPrefix = keyPrefix
        self.logger = logger
    }

    private struct Enough: Error {}

    /// Reads the batches topic into `ledger`.
    public func readTopic(_ reader: DeadLetterReader, scope: Scope, limits: BatchLimits, ledger: inout AuditLedger,
                          counts: inout Counts, progress: (Counts) -> Void = { _ in }) async throws {
        var local = ledger, seen = counts
        do {
            try await reader.read { message in
                seen.topicRecords += 1
                if seen.topicRecords % 10_000 == 0 { progress(seen) }
                let headers = BatchHeaders.decode(message.headers.wire)
                guard let campaign = headers.campaignID, scope.includes(campaign: campaign, receivedAt: headers.receivedAtDate) else { return }
                seen.inScope += 1
                switch RecordClassifier.classify(message, limits: limits) {
                case .success(let classified):
                    let key = AuditSessionKey(campaignID: classified.campaignID, session: classified.record.session)
                    local.addKafka(key, AuditBatch(seq: classified.record.seq, events: classified.record.events))
                case .failure:
                    seen.invalid += 1
                }
                if seen.topicRecords >= scope.maxRecords {
                    seen.truncated = true
                    throw Enough()
                }
            }
        } catch is Enough {}
        ledger = local
        counts = seen
        progress(seen)
    }

    /// Reads the dead-letter topic: the (session, seq) of every dead-lettered batch in scope.
    public func readDeadLetters(_ reader: DeadLetterReader, scope: Scope, ledger: inout AuditLedger, counts: inout Counts) async throws {
        var local = ledger, seen = counts
        try await reader.read { message in
            guard let record = DeadLetterRecord(message) else { return }
            let headers = BatchHeaders.decode(record.originalHeaders.wire)
            guard let campaign = headers.campaignID, let session = headers.session, let seq = headers.seq.flatMap({ Int($0) }),
                  scope.includes(campaign: campaign, receivedAt: headers.receivedAtDate) else { return }
            seen.deadLetters += 1
            local.addDeadLetter(AuditSessionKey(campaignID: campaign, session: session), seq: seq)
        }
        ledger = local
        counts = seen
    }

    /// Reads every session the ledger names from S3; `progress` gets (done, total).
    public func readS3(ledger: inout AuditLedger, scratch: String, concurrency: Int = 8,
                       progress: (Int, Int) -> Void = { _, _ in }) async throws {
        let sessions = ledger.sessions
        let reader = SegmentObjectAudit(s3: s3, keyPrefix: keyPrefix, scratch: scratch)
        var done = 0
        let work: @Sendable (AuditSessionKey) async throws -> AuditLedger = { key in
            var partial = AuditLedger()
            try await reader.read(key, into: &partial)
            return partial
        }
        var pending = sessions.makeIterator()
        try await withThrowingTaskGroup(of: AuditLedger.self) { group in
            for _ in 0..<max(1, concurrency) {
                guard let key = pending.next() else { break }
                group.addTask { try await work(key) }
            }
            while let partial = try await group.next() {
                ledger.merge(partial)
                done += 1
                progress(done, sessions.count)
                if let key = pending.next() { group.addTask { try await work(key) } }
            }
        }
    }
}
