import Core
import Database
import Foundation
import Gzip
import Kafka
import Logging
import PostgresNIO
import Processor
import S3
import Synchronization
import Testing
import StackTestSupport
import TestSupport
import Uploader

/// The real stack for Processor tests: Kafka (Tansu), PostgreSQL, SeaweedFS and spool directories.
enum ProcessorStack {
    static let brokers = TestStack.kafkaBrokers

    static func logger(_ label: String = "processor-tests") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }

    static var admin: KafkaAdmin { StackFixtures.kafkaAdmin(logger: logger()) }

    /// A unique batches topic and dead-letter topic for `body`; both deleted afterwards.
    static func withTopics<T>(partitions: Int32, _ body: (String, String) async throws -> T) async throws -> T {
        let topic = TestStack.uniqueName("proc")
        let deadLetters = topic + ".dlq"
        try await admin.createTopic(topic, partitions: partitions)
        try await admin.createTopic(deadLetters, partitions: 1)
        do {
            let result = try await body(topic, deadLetters)
            try? await admin.deleteTopic(topic)
            try? await admin.deleteTopic(deadLetters)
            return result
        } catch {
            try? await admin.deleteTopic(topic)
            try? await admin.deleteTopic(deadLetters)
            throw error
        }
    }

    /// A migrated database with a fresh campaign.
    static func withCampaign<T: Sendable>(_ body: @Sendable (PostgresClient, Campaign) async throws -> T) async throws -> T {
        let logger = logger()
        return try await StackFixtures.withMigratedDatabase(logger: logger) { client in
            let store = CampaignStore(client: client, logger: logger)
            let campaign = try await store.create(.init(name: TestStack.uniqueName("processor"), allowedOrigins: ["https://example.com"]))
            return try await body(client, campaign)
        }
    }

    static func configuration(topic: String, deadLetters: String, group: String, instance: String) -> ProcessorConfiguration {
        var configuration = ProcessorConfiguration(brokers: brokers)
        configuration.topic = topic
        configuration.deadLetterTopic = deadLetters
        configuration.groupID = group
        configuration.instanceID = instance
        configuration.sessionTimeout = .seconds(6)
        configuration.maxPollInterval = .seconds(8)
        configuration.commitInterval = .milliseconds(200)
        configuration.retryBaseDelay = .milliseconds(50)
        configuration.retryMaxDelay = .milliseconds(400)
        configuration.maxAttempts = 3
        configuration.campaignCacheTTL = .seconds(2)
        return configuration
    }

    static func s3Client() -> S3Client {
        StackFixtures.s3Client(logger: logger())
    }

    static func spoolDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("proc-spool")).path
    }

    /// Produces records concurrently; returns the next offset per partition (from the delivery
    /// reports: Tansu's high watermark is not exact).
    static func produce(_ messages: [KafkaOutgoingMessage]) async throws -> [Int32: Int64] {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: brokers), logger: logger())
        var ends: [Int32: Int64] = [:]
        do {
            for chunk in stride(from: 0, to: messages.count, by: 2_000) {
                try await withThrowingTaskGroup(of: KafkaDeliveryReport.self) { group in
                    // Messages with the same key are sent one after another, so each partition holds
                    // a session's records in the order given; different keys go out concurrently.
                    var last: [[UInt8]: Task<KafkaDeliveryReport, any Error>] = [:]
                    for message in messages[chunk..<min(chunk + 2_000, messages.count)] {
                        let previous = last[message.key ?? []]
                        let send = Task {
                            _ = try? await previous?.value
                            return try await producer.send(message)
                        }
                        last[message.key ?? []] = send
                        group.addTask { try await send.value }
                    }
                    for try await report in group {
                        ends[report.partition] = max(ends[report.partition] ?? 0, report.offset + 1)
                    }
                }
            }
        } catch {
            await producer.shutdown()
            throw error
        }
        await producer.shutdown()
        return ends
    }

    /// Waits until the group committed every partition up to `ends`.
    static func waitCommitted(group: String, topic: String, ends: [Int32: Int64], timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        let admin = admin
        while ContinuousClock.now < deadline {
            var done = true
            for (partition, end) in ends {
                let committed = try? await admin.committedOffset(group: group, topic: topic, partition: partition)
                if (committed ?? -1) < end { done = false; break }
            }
            if done { return true }
            try await Task.sleep(for: .milliseconds(250))
        }
        for (partition, end) in ends.sorted(by: { $0.key < $1.key }) {
            let committed = try? await admin.committedOffset(group: group, topic: topic, partition: partition)
            print("partition \(partition): committed \(committed.map { "\($0)" } ?? "?") of \(end)")
        }
        return false
    }

    /// Closes every segment of `spool` and uploads them (with the real uploader) under `prefix`.
    static func shutdownAndUpload(_ spool: Spool, postgres: PostgresClient, prefix: String) async throws {
        try await spool.shutdown()
        try await upload(spool, postgres: postgres, prefix: prefix)
    }

    static func upload(_ spool: Spool, postgres: PostgresClient, prefix: String) async throws {
        var configuration = SegmentUploaderConfiguration()
        configuration.keyPrefix = prefix
        configuration.maxConcurrentUploads = 4
        let uploader = SegmentUploader(spool: spool, s3: s3Client(), postgres: postgres, configuration: configuration, logger: logger())
        // A failed segment goes back to the spool's queue; try again while the store is struggling.
        for attempt in 1...10 {
            do {
                try await uploader.uploadPending()
                if spool.statistics.closedSegments == 0 { return }
            } catch where attempt < 10 {
                try await Task.sleep(for: .seconds(2))
            }
        }
    }

    /// One line of a segment.
    struct Line: Equatable {
        var seq: Int
        var events: String
    }

    /// Every segment under `prefix` for `campaign`, per session: the lines of each segment, the
    /// segments in key order (which is first-seq order).
    static func readOutput(prefix: String, campaign: UUID) async throws -> [String: [[Line]]] {
        let s3 = s3Client()
        let root = prefix + campaign.uuidString.lowercased() + "/"
        let objects = try await s3.listObjects(prefix: root).collect().sorted { $0.key < $1.key }
        var sessions: [String: [[Line]]] = [:]
        try await withThrowingTaskGroup(of: (String, [Line]).self) { group in
            var running = 0
            for object in objects {
                if running >= 16, let (session, lines) = try await group.next() {
                    sessions[session, default: []].append(lines)
                    running -= 1
                }
                running += 1
                group.addTask {
                    let session = String(object.key.dropFirst(root.count).split(separator: "/")[0])
                    let bytes = try Gzip.decompress(try await s3.getObjectBytes(key: object.key, maxBytes: 64 << 20))
                    var lines: [Line] = []
                    for line in bytes.split(separator: UInt8(ascii: "\n")) {
                        let (seq, events) = try #require(SpoolLine.parse(line), "\(String(decoding: line.prefix(80), as: UTF8.self))")
                        lines.append(Line(seq: seq, events: events))
                    }
                    return (session, lines)
                }
            }
            for try await (session, lines) in group { sessions[session, default: []].append(lines) }
        }
        return sessions
    }

    /// Deletes every object under `prefix` (best effort).
    static func deleteOutput(prefix: String) async {
        let s3 = s3Client()
        guard let objects = try? await s3.listObjects(prefix: prefix).collect() else { return }
        for object in objects { try? await s3.deleteObject(key: object.key) }
    }
}

/// A segment line, read with the one definition of the format (``SegmentLine``).
enum SpoolLine {
    static func parse(_ line: ArraySlice<UInt8>) -> (seq: Int, events: String)? {
        let bytes = Array(line)
        guard let parsed = SegmentLine.decode(bytes) else { return nil }
        return (Int(parsed.seq), String(decoding: bytes[parsed.eventsStart..<parsed.eventsEnd], as: UTF8.self))
    }
}

/// A processor running in a task, with its own spool and the uploader that moves its segments to S3
/// under `prefix` (offsets are committed only once their batches are there).
final class ProcessorNode: Sendable {
    let processor: BatchProcessor
    let spool: Spool
    let directory: String
    let task: Task<Void, any Error>
    let uploaderTask: Task<Void, any Error>

    init(configuration: ProcessorConfiguration, postgres: PostgresClient, prefix: String,
         directory: String = ProcessorStack.spoolDirectory(), idleTimeout: Duration = .seconds(1),
         inspector: (any ProcessorGroupInspector)? = nil) throws {
        self.directory = directory
        var spoolConfiguration = SpoolConfiguration(directory: directory)
        spoolConfiguration.idleTimeout = idleTimeout
        spool = try Spool(configuration: spoolConfiguration, logger: ProcessorStack.logger())
        let campaigns = CampaignDirectory(store: CampaignStore(client: postgres, logger: ProcessorStack.logger()),
                                          ttl: configuration.campaignCacheTTL)
        let processor = BatchProcessor(configuration: configuration, spool: spool, campaigns: campaigns, logger: ProcessorStack.logger(),
                                       inspector: inspector)
        self.processor = processor
        var uploaderConfiguration = SegmentUploaderConfiguration()
        uploaderConfiguration.keyPrefix = prefix
        uploaderConfiguration.maxConcurrentUploads = 4
        uploaderConfiguration.checkInterval = .milliseconds(200)
        let uploader = SegmentUploader(spool: spool, s3: ProcessorStack.s3Client(), postgres: postgres,
                                       configuration: uploaderConfiguration, logger: ProcessorStack.logger())
        uploaderTask = Task { try await uploader.run() }
        task = Task { try await processor.run() }
    }

    /// Graceful stop: durable, handed over (held segments uploaded and committed), closed; then the
    /// uploader stops (what is left in the spool is uploaded by ``ProcessorStack/shutdownAndUpload``).
    func stop() async throws {
        processor.stop()
        defer { uploaderTask.cancel() }
        try await task.value
        uploaderTask.cancel()
        _ = await uploaderTask.result
    }

    /// Waits until the processor holds at least one partition.
    func waitAssigned(timeout: Duration = .seconds(30)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !processor.assignment.isEmpty { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
