import ReplaydKit
import ArgumentParser
import Foundation
import Logging
import Processor
import Uploader

/// `replayd audit`: does every accepted batch exist in S3? Reads the batches topic (from its earliest
/// retained offset, bounded), the dead-letter topic and the S3 objects of every session it finds,
/// and optionally an expectations file a load generator wrote for every 202 it received.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check that every accepted batch is in S3: missing, duplicated and conflicting batches per session.",
        discussion: """
            Exit status 0 when nothing is missing, 1 when any batch (from Kafka or --expect) is in no S3 \
            object with the same bytes and not in the dead-letter topic, or an object cannot be read. \
            --expect FILE takes JSON lines {"session":…,"seq":…,"events":N,"sha256":…} (optionally \
            "campaign"), sha256 being the hex SHA-256 of the batch's events array as sent.
            """)

    @Option(help: "Only this campaign id.") var campaign: String?
    @Option(help: "Only batches accepted from this time on: ISO 8601 or an age like 90m, 6h, 2d.") var since: String?
    @Option(help: "Only batches accepted up to this time: ISO 8601 or an age like 10m.") var until: String?
    @Option(help: "Expectations file (JSON lines) of batches clients were told were accepted.") var expect: String?
    @Flag(help: "Do not read the batches topic (check only --expect against S3).") var noKafka = false
    @Option(help: "Read at most this many records of the batches topic.") var maxRecords = 2_000_000
    @Flag(help: "List every session, not only those with findings.") var verbose = false
    @Flag(help: "One JSON object per session with findings (all with --verbose), then a summary object.") var json = false

    func run() async throws {
        let config = try ReplaydConfiguration.load()
        Observability.bootstrapLogging(logLevel: .warning)
        let logger = Logger(label: "replayd.audit")
        let now = Date()
        var scope = BatchAudit.Scope(
            campaignID: try campaign.map { text in
                guard let id = UUID(uuidString: text) else { throw ValidationError("--campaign \(text) is not a UUID") }
                return id
            },
            since: try since.map { try DeadLetterCommand.FilterOptions.parseTime($0, now: now) },
            until: try until.map { try DeadLetterCommand.FilterOptions.parseTime($0, now: now) })
        scope.maxRecords = maxRecords
        let expectations: [AuditExpectation] = try expect.map { path in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read --expect \(path)")
            }
            return try AuditExpectation.parse(text, source: path)
        } ?? []
        if noKafka && expectations.isEmpty { throw ValidationError("--no-kafka needs --expect: there is nothing else to check") }

        let bar: ProgressBar? = json ? nil : ProgressBar()
        let audit = BatchAudit(s3: try config.makeS3Client(logger: logger), keyPrefix: config.uploader.keyPrefix, logger: logger)
        var ledger = AuditLedger()
        var counts = BatchAudit.Counts()
        if !noKafka {
            var topic = DeadLetterCommand.reader(config, logger: logger)
            topic.topic = config.kafka.batchesTopic
            let estimated = max(1, await topic.estimatedCount())
            try await audit.readTopic(topic, scope: scope, limits: config.limits, ledger: &ledger, counts: &counts) { seen in
                bar?.draw(fraction: Double(seen.topicRecords) / Double(max(estimated, seen.topicRecords)),
                          text: "\(config.kafka.batchesTopic): read \(seen.topicRecords) records, \(seen.inScope) in scope")
            }
            try await audit.readDeadLetters(DeadLetterCommand.reader(config, logger: logger), scope: scope, ledger: &ledger, counts: &counts)
        }
        // Expectations name their campaign, else --campaign, else the campaign the topic showed for the session.
        var campaignOfSession: [String: UUID] = [:]
        for key in ledger.sessions { campaignOfSession[key.session] = key.campaignID }
        for expectation in expectations {
            guard let campaignID = expectation.campaignID ?? scope.campaignID ?? campaignOfSession[expectation.session] else {
                throw ValidationError("--expect: session \(expectation.session) names no campaign; add \"campaign\" to its lines or pass --campaign")
            }
            ledger.addExpected(AuditSessionKey(campaignID: campaignID, session: expectation.session), expectation.batch)
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("replayd-audit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try await audit.readS3(ledger: &ledger, scratch: scratch) { done, total in
            bar?.draw(fraction: Double(done) / Double(max(total, 1)), text: "S3: read the objects of \(done)/\(total) sessions")
        }
        bar?.finish()

        let reports = ledger.report()
        var totals = (sessions: reports.count, kafka: 0, s3: 0, missing: 0, dead: 0, duplicated: 0, conflicting: 0, expected: 0, expectedMissing: 0, unreadable: 0)
        for report in reports {
            totals.kafka += report.kafkaBatches
            totals.s3 += report.s3Batches
            totals.missing += report.missing.count
            totals.dead += report.deadLettered.count
            totals.duplicated += report.duplicated
            totals.conflicting += report.conflicting.count
            totals.expected += report.expected
            totals.expectedMissing += report.expectedMissing.count
            totals.unreadable += report.unreadableObjects.count
            let findings = !report.lossless || !report.conflicting.isEmpty || report.duplicated > 0 || !report.deadLettered.isEmpty
            guard findings || verbose else { continue }
            print(json ? try Self.json(report) : Self.text(report))
        }
        let lossless = totals.missing == 0 && totals.expectedMissing == 0 && totals.unreadable == 0
        if json {
            let summary: [String: Any] = [
                "summary": true, "sessions": totals.sessions, "kafka_records": counts.topicRecords, "in_scope": counts.inScope,
                "invalid": counts.invalid, "kafka_batches": totals.kafka, "s3_batches": totals.s3, "missing": totals.missing,
                "dead_lettered": totals.dead, "duplicated": totals.duplicated, "conflicting": totals.conflicting,
                "expected": totals.expected, "expected_missing": totals.expectedMissing, "unreadable_objects": totals.unreadable,
                "kafka_truncated": counts.truncated, "lossless": lossless,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("""
                \(totals.sessions) sessions; Kafka: \(counts.topicRecords) records read, \(counts.inScope) in scope, \(totals.kafka) distinct batches\
                \(counts.invalid > 0 ? ", \(counts.invalid) invalid" : "")\(counts.truncated ? " (stopped at --max-records)" : ""); \
                S3: \(totals.s3) distinct batches
                missing: \(totals.missing)  dead-lettered: \(totals.dead)  duplicated copies: \(totals.duplicated)  conflicting seqs: \(totals.conflicting)\
                \(expectations.isEmpty ? "" : "  expected: \(totals.expected), not in S3: \(totals.expectedMissing)")\
                \(totals.unreadable > 0 ? "  unreadable objects: \(totals.unreadable)" : "")
                \(lossless ? "OK: every accepted batch is in S3" : "LOSS: accepted batches are not in S3 (see the sessions above)")
                """)
        }
        if !lossless { throw ExitCode(1) }
    }

    static func text(_ r: AuditSessionReport) -> String {
        var parts = ["\(r.key.campaignID.uuidString.lowercased())/\(r.key.session): kafka \(r.kafkaBatches) batches/\(r.kafkaEvents) events, s3 \(r.s3Batches) batches/\(r.s3Events) events in \(r.s3Objects) objects"]
        if !r.missing.isEmpty { parts.append("missing seqs \(Self.seqs(r.missing))") }
        if !r.expectedMissing.isEmpty { parts.append("expected but not in S3: seqs \(Self.seqs(r.expectedMissing))") }
        if !r.deadLettered.isEmpty { parts.append("dead-lettered seqs \(Self.seqs(r.deadLettered))") }
        if r.duplicated > 0 { parts.append("\(r.duplicated) duplicated copies") }
        if !r.conflicting.isEmpty { parts.append("conflicting seqs \(Self.seqs(r.conflicting))") }
        for object in r.unreadableObjects { parts.append("unreadable: \(object)") }
        return parts.joined(separator: "; ")
    }

    static func seqs(_ seqs: [Int]) -> String {
        seqs.count > 20 ? seqs.prefix(20).map(String.init).joined(separator: ",") + ",… (\(seqs.count))" : seqs.map(String.init).joined(separator: ",")
    }

    static func json(_ r: AuditSessionReport) throws -> String {
        let object: [String: Any] = [
            "campaign": r.key.campaignID.uuidString.lowercased(), "session": r.key.session,
            "kafka_batches": r.kafkaBatches, "kafka_events": r.kafkaEvents, "s3_batches": r.s3Batches, "s3_events": r.s3Events,
            "s3_objects": r.s3Objects, "missing": r.missing, "dead_lettered": r.deadLettered, "duplicated": r.duplicated,
            "conflicting": r.conflicting, "expected": r.expected, "expected_missing": r.expectedMissing,
            "unreadable_objects": r.unreadableObjects, "lossless": r.lossless,
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }
}
