import Foundation

/// What the audit found for one session, on each side.
public struct AuditSessionReport: Sendable, Equatable {
    public var key: AuditSessionKey
    /// Distinct batches in the batches topic (a redelivered copy of the same bytes counts once).
    public var kafkaBatches = 0
    public var kafkaEvents = 0
    /// Distinct batches in S3, and how many events they hold.
    public var s3Batches = 0
    public var s3Events = 0
    public var s3Objects = 0
    /// Seqs of batches in Kafka (or expected) that are in no S3 object with the same bytes and were
    /// not dead-lettered.
    public var missing: [Int] = []
    /// Seqs of batches that are only in the dead-letter topic.
    public var deadLettered: [Int] = []
    /// Extra copies of identical batches in S3 (harmless: playback removes them).
    public var duplicated = 0
    /// Seqs under which different batches exist (in Kafka or S3).
    public var conflicting: [Int] = []
    /// `--expect`: batches expected and how many of them are not in S3.
    public var expected = 0
    public var expectedMissing: [Int] = []
    /// Objects that could not be read (damaged or gone while reading).
    public var unreadableObjects: [String] = []

    public var lossless: Bool { missing.isEmpty && expectedMissing.isEmpty && unreadableObjects.isEmpty }
}

/// The batches seen per session on each side; ``report()`` compares them.
public struct AuditLedger: Sendable {
    struct Side {
        /// seq → digest → copies.
        var batches: [Int: [String: Int]] = [:]
        var events: [Int: [String: Int]] = [:]

        mutating func add(_ batch: AuditBatch) {
            batches[batch.seq, default: [:]][batch.sha256, default: 0] += 1
            events[batch.seq, default: [:]][batch.sha256] = batch.events
        }

        mutating func merge(_ other: Side) {
            for (seq, digests) in other.batches { batches[seq, default: [:]].merge(digests, uniquingKeysWith: +) }
            for (seq, counts) in other.events { events[seq, default: [:]].merge(counts) { mine, _ in mine } }
        }

        func contains(_ batch: AuditBatch) -> Bool { batches[batch.seq]?[batch.sha256] != nil }
        var distinct: Int { batches.values.reduce(0) { $0 + $1.count } }
        var eventCount: Int { events.values.reduce(0) { $0 + $1.values.reduce(0, +) } }
    }

    private(set) var kafka: [AuditSessionKey: Side] = [:]
    private(set) var s3: [AuditSessionKey: Side] = [:]
    private(set) var objects: [AuditSessionKey: Int] = [:]
    private(set) var unreadable: [AuditSessionKey: [String]] = [:]
    private(set) var deadLettered: [AuditSessionKey: Set<Int>] = [:]
    private(set) var expected: [AuditSessionKey: [AuditBatch]] = [:]

    public init() {}

    public mutating func addKafka(_ key: AuditSessionKey, _ batch: AuditBatch) { kafka[key, default: Side()].add(batch) }
    public mutating func addS3(_ key: AuditSessionKey, _ batch: AuditBatch) { s3[key, default: Side()].add(batch) }
    public mutating func addObject(_ key: AuditSessionKey) { objects[key, default: 0] += 1 }
    public mutating func addUnreadable(_ key: AuditSessionKey, object: String) { unreadable[key, default: []].append(object) }
    public mutating func addDeadLetter(_ key: AuditSessionKey, seq: Int) { deadLettered[key, default: []].insert(seq) }
    public mutating func addExpected(_ key: AuditSessionKey, _ batch: AuditBatch) { expected[key, default: []].append(batch) }

    /// Adds the S3 side another ledger read (``BatchAudit/readS3(ledger:scratch:concurrency:progress:)``
    /// reads sessions concurrently, each into a ledger of its own).
    mutating func merge(_ other: AuditLedger) {
        for (key, side) in other.s3 { s3[key, default: Side()].merge(side) }
        objects.merge(other.objects, uniquingKeysWith: +)
        unreadable.merge(other.unreadable, uniquingKeysWith: +)
    }

    /// Every session either side or the expectations name.
    public var sessions: [AuditSessionKey] {
        Array(Set(kafka.keys).union(s3.keys).union(expected.keys).union(deadLettered.keys)).sorted()
    }

    public func report() -> [AuditSessionReport] {
        sessions.map { key in
            let fromKafka = kafka[key] ?? Side()
            let inS3 = s3[key] ?? Side()
            let dead = deadLettered[key] ?? []
            var report = AuditSessionReport(key: key)
            report.kafkaBatches = fromKafka.distinct
            report.kafkaEvents = fromKafka.eventCount
            report.s3Batches = inS3.distinct
            report.s3Events = inS3.eventCount
            report.s3Objects = objects[key] ?? 0
            report.unreadableObjects = unreadable[key] ?? []
            var missing = Set<Int>(), deadOnly = Set<Int>()
            for (seq, digests) in fromKafka.batches {
                for sha in digests.keys where inS3.batches[seq]?[sha] == nil {
                    if dead.contains(seq) { deadOnly.insert(seq) } else { missing.insert(seq) }
                }
            }
            report.missing = missing.sorted()
            report.deadLettered = deadOnly.sorted()
            report.duplicated = inS3.batches.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + max(0, $1 - 1) } }
            let conflictSeqs = Set(fromKafka.batches.filter { $0.value.count > 1 }.keys)
                .union(inS3.batches.filter { $0.value.count > 1 }.keys)
            report.conflicting = conflictSeqs.sorted()
            let expectations = expected[key] ?? []
            report.expected = expectations.count
            report.expectedMissing = expectations.filter { batch in
                !(inS3.contains(batch) && inS3.events[batch.seq]?[batch.sha256] == batch.events)
            }.map(\.seq).sorted()
            return report
        }
    }
}
