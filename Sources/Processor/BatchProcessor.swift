import Core
import Foundation
import Kafka
import Metrics
import Logging
import ServiceLifecycle
import Synchronization
import Uploader

/// The Processor: a member of the consumer group on ``ProcessorConfiguration/topic`` that moves
/// accepted batches into the Uploader's ``Spool``, de-duplicated by (session, seq), with classified
/// retries and a dead-letter topic. Any number of instances share the partitions.
///
/// Guarantees (see ``ConsumerLoop`` for how):
/// - an offset is committed only after its batch, and every earlier batch of the partition, is in
///   an uploaded, verified and indexed S3 object or acknowledged by the dead-letter topic (commit
///   after S3: the spool is a cache); nothing is auto-committed;
/// - poison records (undecodable, invalid, unknown campaign) are dead-lettered at once;
/// - transient failures pause only the affected partition and retry with exponential backoff and
///   full jitter while the consumer keeps polling; after ``ProcessorConfiguration/maxAttempts``
///   the record is dead-lettered with reason `retries_exhausted`;
/// - redelivered batches (after a crash, a rebalance or a dead-letter replay) are harmless: the
///   spool answers `.duplicate` for a (session, seq) it has with the same bytes, and playback
///   de-duplicates identical copies across segments; a batch with other bytes under a known
///   (session, seq) is a conflict and is kept (`.conflict`), never dropped.
///
/// The caller owns the spool, the campaign directory's PostgreSQL client and the uploader, and
/// shuts them down after the processor returned. Metrics: ``ProcessorMetrics``.
public final class BatchProcessor: Service, Sendable {
    public let configuration: ProcessorConfiguration
    private let spool: Spool
    private let campaigns: CampaignDirectory
    private let logger: Logger
    private let metrics = ProcessorMetrics()
    private let progress = ProcessorProgress()

    private let inspector: (any ProcessorGroupInspector)?
    private let assignmentState = Mutex(ProcessorHealth.Assignment.ok)

    /// `inspector` describes the group when the instance waits long for partitions (nil: a long wait
    /// is reported as stuck with the group unknown).
    public init(configuration: ProcessorConfiguration, spool: Spool, campaigns: CampaignDirectory, logger: Logger,
                inspector: (any ProcessorGroupInspector)? = nil) {
        self.inspector = inspector
        self.configuration = configuration
        self.spool = spool
        self.campaigns = campaigns
        var logger = logger
        logger[metadataKey: "instance"] = "\(configuration.instanceID)"
        self.logger = logger
    }

    /// Consumes until graceful shutdown, ``stop()`` or cancellation; then writes are made durable,
    /// offsets committed, the group left and the dead-letter producer flushed.
    public func run() async throws {
        try configuration.validate()
        let progress = progress, metrics = metrics
        let consumer = try KafkaConsumer(configuration: configuration.consumerConfiguration, logger: logger) { event in
            switch event {
            case .assigned: metrics.assigned.increment()
            case .revoked: metrics.revoked.increment()
            }
            progress.noteRebalance(event)
        }
        let deadLetters: ResilientKafkaProducer
        do {
            deadLetters = try ResilientKafkaProducer(configuration: configuration.producerConfiguration, logger: logger)
        } catch {
            await consumer.close()
            throw error
        }
        let loop = ConsumerLoop(
            configuration: configuration, consumer: consumer, spool: spool, campaigns: campaigns,
            deadLetters: deadLetters, progress: progress, logger: logger, metrics: metrics)
        logger.info("Processor started", metadata: [
            "topic": "\(configuration.topic)", "group": "\(configuration.groupID)", "dlq": "\(configuration.deadLetterTopic)",
        ])
        let result: Result<Void, any Error>
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { [self] in await reportLag(consumer) }
                    group.addTask { [self] in await watchAssignment() }
                    defer { group.cancelAll() }
                    try await loop.run()
                }
            } onGracefulShutdown: { [self] in
                stop()
            }
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await consumer.close()
        await deadLetters.shutdown()
        logger.info("Processor stopped")
        try result.get()
    }

    /// Asks ``run()`` to finish: the current record completes, writes become durable, offsets are
    /// committed and the consumer leaves the group.
    public func stop() {
        progress.requestStop()
    }

    /// The partitions currently assigned to this instance.
    public var assignment: [KafkaTopicPartition] { progress.assignment }

    /// Records taken from the consumer so far (including redeliveries and those dropped at a rebalance).
    public var recordsPolled: Int { progress.recordsPolled }

    /// Per assigned partition, the offset after the last record that is in S3 (or the dead-letter
    /// topic), with every earlier one, and whose offset was stored and sent for commit.
    public var committedPositions: [KafkaTopicPartition: Int64] { progress.committedPositions }

    /// Per assigned partition, the offset after the last record that is durable in the spool or the
    /// dead-letter topic (not necessarily in S3 yet): how far processing has got.
    public var spooledPositions: [KafkaTopicPartition: Int64] { progress.spooledPositions }

    /// Whether the instance takes records and has partitions (see ``ProcessorHealth``).
    public var health: ProcessorHealth {
        ProcessorHealth(assignment: assignmentState.withLock { $0 }, spoolPressure: progress.spoolPressure)
    }

    /// Every 5 s: how long the instance has had no partition; past ``ProcessorConfiguration/assignmentWait``
    /// it asks the group's coordinator whether the group simply has more members than partitions
    /// (idle), and otherwise reports itself stuck (a warning each minute, the metric, `/readyz`).
    private func watchAssignment() async {
        var lastWarning: ContinuousClock.Instant?
        while !Task.isCancelled {
            let waited = progress.unassignedFor
            metrics.unassignedSeconds.record(waited.map { Double($0.components.seconds) } ?? 0)
            var state = ProcessorHealth.Assignment.ok
            if let waited, waited > configuration.assignmentWait {
                let group = try? await inspector?.group(configuration.groupID)
                let partitions = try? await inspector?.partitionCount(topic: configuration.topic)
                if let group, let partitions, group.members > Int(partitions) {
                    state = .idle(members: group.members, partitions: Int(partitions))
                } else {
                    state = .stuck(waited: waited, members: group?.members, partitions: partitions.map(Int.init), groupState: group?.state)
                }
            }
            let previous = assignmentState.withLock { current in
                defer { current = state }
                return current
            }
            metrics.assignmentStuck.record(state.isStuck ? 1 : 0)
            if state.isStuck, lastWarning.map({ ContinuousClock.now - $0 >= .seconds(60) }) ?? true {
                logger.warning("Processor has no partition", metadata: ["problem": "\(ProcessorHealth(assignment: state).problem ?? "")"])
                lastWarning = .now
            } else if case .idle(let members, let partitions) = state, previous != state {
                logger.info("Processor idle: the group has more members than the topic has partitions",
                            metadata: ["members": "\(members)", "partitions": "\(partitions)"])
            }
            if !state.isStuck { lastWarning = nil }
            try? await Task.sleep(for: .seconds(5))
        }
    }

    /// Every 10 s: consumer lag per assigned partition (the high watermark the consumer's last fetch
    /// reported, minus the next committed offset; no broker request) and the spool's size.
    private func reportLag(_ consumer: KafkaConsumer) async {
        while !Task.isCancelled {
            let assignment = progress.assignment
            let positions = progress.committedPositions
            for partition in assignment {
                guard let high = consumer.cachedHighWatermark(partition) else { continue }
                let next = positions[partition] ?? 0
                metrics.lag(partition, max(high - next, 0))
            }
            metrics.reportSpool(spool)
            try? await Task.sleep(for: .seconds(10))
        }
    }
}
