import ArgumentParser
import Core
import Database
import Foundation
import ReplaydKit
import Kafka
import Logging
import PostgresNIO
import Processor
import S3
import Uploader

/// `replayd-bench processor`: consume → spool throughput of the Processor against spool-append alone,
/// on the same records, in one run. Records are real rrweb batches shaped exactly as the Collector
/// produces them; they are produced to a fresh topic first (not timed). Then, in alternating rounds,
/// (1) the same records, classified, are appended to a spool with a durable group every 256 batches
/// (synced while the next group is appended, as the Processor does), and (2) a `BatchProcessor`
/// with its uploader consumes the topic into another spool, timed from its first record until
/// every record is durable in the spool, and until every offset is committed (after S3).
struct BenchProcessorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "processor", abstract: "Measure consume → spool throughput (benchmark).")

    @Option(help: "Directory with rrweb fixture recordings (*.json arrays).") var fixtures: String
    @Option(help: "Work directory for the two spools (created).") var work: String
    @Option(help: "Uncompressed MiB of events.") var mib: Int = 128
    @Option(help: "Sessions the batches are spread over.") var sessions: Int = 1000
    @Option(help: "Topic partitions.") var partitions: Int32 = 4
    @Option(help: "Rounds of (spool alone, processor); medians are compared.") var rounds: Int = 3

    func run() async throws {
        let config = try ReplaydConfiguration.load()
        Observability.bootstrapLogging(logLevel: .warning)
        let logger = Logger(label: "bench")
        let slices = try FixtureSlices.load(fixtures, eventsPerBatch: 20, movedToNow: true)
        let topic = "bench-processor-\(Int(Date().timeIntervalSince1970))"
        let admin = KafkaAdmin(bootstrapServers: config.kafka.brokers, logger: logger)
        try await admin.createTopic(topic, partitions: partitions)
        defer { Task { try? await admin.deleteTopic(topic) } }

        try await PostgresClient.withClient(config.postgres, logger: logger) { postgres in
            let campaign = try await CampaignStore(client: postgres, logger: logger)
                .create(.init(name: "bench-processor-\(topic)", allowedOrigins: []))
            // The records, as the Collector produces them.
            let now = Date()
            var messages: [KafkaOutgoingMessage] = []
            var bytes = 0, index = 0
            while bytes < mib << 20 {
                let session = "bench-\(index % sessions)", seq = index / sessions
                let events = slices[index % slices.count]
                var body = Array("{\"key\":\"\(campaign.publicKey)\",\"session\":\"\(session)\",\"seq\":\(seq),\"events\":".utf8)
                body += events
                body += Array(",\"page\":{\"url\":\"https://shop.example.com/\"}}".utf8)
                let eventCount = (try? BatchValidator.validate(body, now: now, limits: BatchLimits()))?.eventCount ?? 0
                let headers = [KafkaHeader](wire: BatchHeaders(
                    campaignID: campaign.id, session: session, seq: seq, eventCount: eventCount, receivedAt: now).encoded())
                messages.append(KafkaOutgoingMessage(topic: topic, key: Array(session.utf8), value: body, headers: headers))
                bytes += events.count
                index += 1
            }
            let ends = try await Self.produce(messages, brokers: config.kafka.brokers, logger: logger)

            // The same records, classified, for spool-append alone.
            let records = messages.compactMap { message -> SpoolRecord? in
                let consumed = KafkaMessage(topic: topic, partition: 0, offset: 0, key: message.key, value: message.value, headers: message.headers)
                return try? RecordClassifier.classify(consumed).get().record
            }
            // Rounds alternate the two so that both meet the same disk and page-cache state; the
            // medians are compared.
            var aloneSeconds: [Double] = [], processorSeconds: [Double] = [], committedSeconds: [Double] = []
            let s3 = try config.makeS3Client(logger: logger)
            for round in 1...rounds {
                aloneSeconds.append(try await Self.spoolAlone(records, directory: "\(work)/alone-\(round)", logger: logger))
                let run = try await Self.processorRun(
                    topic: topic, group: "\(topic)-group-\(round)", ends: ends, directory: "\(work)/processor-\(round)",
                    brokers: config.kafka.brokers, postgres: postgres, s3: s3, admin: admin, logger: logger)
                processorSeconds.append(run.spooled)
                committedSeconds.append(run.committed)
                let fetch = try await Self.consumeOnly(topic: topic, group: "\(topic)-fetch-\(round)", count: messages.count,
                                                       brokers: config.kafka.brokers, logger: logger)
                print(String(format: "round %d: spool-append alone %.2f s, processor %.2f s spooled, %.2f s committed after S3 (consuming alone: %.2f s)",
                             round, aloneSeconds.last!, run.spooled, run.committed, fetch))
            }
            let alone = Self.median(aloneSeconds), processor = Self.median(processorSeconds)
            let committed = Self.median(committedSeconds)
            let mb = Double(bytes) / 1e6
            print(String(format: "records: %d batches, %.0f MiB of events, %d sessions, %d partitions, %d rounds (medians below)",
                         messages.count, Double(bytes) / 1_048_576, sessions, partitions, rounds))
            print(String(format: "spool-append alone: %.1f MB/s, %.0f batches/s", mb / alone, Double(records.count) / alone))
            print(String(format: "processor (consume → spool, durable): %.1f MB/s, %.0f batches/s", mb / processor,
                         Double(messages.count) / processor))
            print(String(format: "processor, every offset committed after S3 (uploaded, verified, indexed): %.1f MB/s, %.0f batches/s",
                         mb / committed, Double(messages.count) / committed))
            print(String(format: "ratio: %.2f (target ≥ 0.8)", alone / processor))
        }
    }

    /// Spool-append alone: the records appended with durable groups of 256 (pipelined as the
    /// Processor does); seconds until all are durable.
    static func spoolAlone(_ records: [SpoolRecord], directory: String, logger: Logger) async throws -> Double {
        let spool = try Spool(configuration: SpoolConfiguration(directory: directory), logger: logger)
        let clock = ContinuousClock()
        let start = clock.now
        var durability = PipelinedDurability(spool: spool, groupSize: 256)
        for record in records { try await durability.wrote(try spool.write(record).1) }
        try await durability.finish()
        let elapsed = seconds(clock.now - start)
        try await spool.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
        return elapsed
    }

    /// The Processor — consume → classify → campaign check → spool → durable, holding each offset
    /// until its segment is in S3 — in a new group from the start of the topic, with the uploader
    /// beside it as in `replayd processor`. Returns the seconds from its first record polled until
    /// every record is durable in the spool (processing throughput, compared with spool-append
    /// alone), and until every offset is committed, which with commit after S3 means every segment
    /// was uploaded, verified and indexed: the segments are closed (as at a handover) once
    /// everything is spooled, so the uploads, and the local S3 server they keep busy on the same
    /// cores, do not run during the processing measured.
    static func processorRun(topic: String, group: String, ends: [Int32: Int64], directory: String, brokers: String,
                             postgres: PostgresClient, s3: S3Client, admin: KafkaAdmin, logger: Logger) async throws -> (spooled: Double, committed: Double) {
        let spool = try Spool(configuration: SpoolConfiguration(directory: directory), logger: logger)
        var uploaderConfiguration = SegmentUploaderConfiguration()
        uploaderConfiguration.keyPrefix = "bench/\(group)/"
        uploaderConfiguration.checkInterval = .milliseconds(200)
        let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres, configuration: uploaderConfiguration, logger: logger)
        var configuration = ProcessorConfiguration(brokers: brokers)
        configuration.topic = topic
        configuration.deadLetterTopic = topic + ".dlq"
        configuration.groupID = group
        configuration.sessionTimeout = .seconds(6)
        configuration.commitInterval = .milliseconds(100)
        let processor = BatchProcessor(
            configuration: configuration, spool: spool,
            campaigns: CampaignDirectory(store: CampaignStore(client: postgres, logger: logger)), logger: logger)
        let uploading = Task { try await uploader.run() }
        let running = Task { try await processor.run() }
        // Timed from the first record polled, like the other measurements (joining the group and the
        // first fetch are not throughput).
        let clock = ContinuousClock()
        while processor.recordsPolled == 0 { try await Task.sleep(for: .milliseconds(1)) }
        let start = clock.now
        func reached(_ positions: [KafkaTopicPartition: Int64]) -> Bool {
            ends.allSatisfy { partition, end in (positions[KafkaTopicPartition(topic: topic, partition: partition)] ?? -1) >= end }
        }
        // Read in process: asking the broker for committed offsets would add its round trips.
        while !reached(processor.spooledPositions) { try await Task.sleep(for: .milliseconds(2)) }
        let spooled = seconds(clock.now - start)
        try spool.closeSegments(holding: Set(ends.keys.map { SpoolSource(topic: topic, partition: $0) }))
        while !reached(processor.committedPositions) { try await Task.sleep(for: .milliseconds(10)) }
        let committed = seconds(clock.now - start)
        // ...and the broker has the commits (untimed).
        for (partition, end) in ends {
            while (try await admin.committedOffset(group: group, topic: topic, partition: partition) ?? -1) < end {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        processor.stop()
        _ = try? await running.value
        uploading.cancel()
        _ = await uploading.result
        try await spool.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
        for try await object in s3.listObjects(prefix: uploaderConfiguration.keyPrefix) { try? await s3.deleteObject(key: object.key) }
        return (spooled, committed)
    }

    /// Only consuming: the topic read from the start by a new group, records counted, nothing else
    /// (what the broker and librdkafka can deliver on this machine).
    static func consumeOnly(topic: String, group: String, count: Int, brokers: String, logger: Logger) async throws -> Double {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: brokers, groupID: group, topics: [topic])
        configuration.enableAutoCommit = false
        configuration.sessionTimeout = .seconds(6)
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        let clock = ContinuousClock()
        var received = 0
        var start: ContinuousClock.Instant?
        while received < count {
            let batch = try await consumer.poll(maxMessages: 500, timeout: .milliseconds(100))
            if start == nil, !batch.isEmpty { start = clock.now }
            received += batch.count
        }
        let elapsed = seconds(clock.now - (start ?? clock.now))
        await consumer.close()
        return elapsed
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func produce(_ messages: [KafkaOutgoingMessage], brokers: String, logger: Logger) async throws -> [Int32: Int64] {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: brokers), logger: logger)
        var ends: [Int32: Int64] = [:]
        try await withThrowingTaskGroup(of: KafkaDeliveryReport.self) { group in
            var inFlight = 0
            for message in messages {
                if inFlight >= 512, let report = try await group.next() {
                    ends[report.partition] = max(ends[report.partition] ?? 0, report.offset + 1)
                    inFlight -= 1
                }
                group.addTask { try await producer.send(message) }
                inFlight += 1
            }
            for try await report in group { ends[report.partition] = max(ends[report.partition] ?? 0, report.offset + 1) }
        }
        await producer.shutdown()
        return ends
    }
}
