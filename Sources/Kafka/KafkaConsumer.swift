import CRdKafka
import Foundation
import Logging
import Synchronization

/// A Kafka consumer-group member subscribed to ``KafkaConsumerConfiguration/topics``.
///
/// `rd_kafka_consumer_poll` runs on the consumer's own poll thread, commits on a second thread; the
/// async methods suspend until those finish. Rebalance callbacks, and so the rebalance handler, run
/// on the poll thread while a ``poll(timeout:)`` (or ``close()``) is in progress — keep polling, or
/// the group will consider this member dead after `max.poll.interval.ms`.
///
/// Offsets are at-least-once: store each processed message with ``storeOffset(_:)``; stored offsets
/// are committed by auto-commit, ``commit()``, before partitions are revoked, and by ``close()``.
/// Call ``close()`` before dropping the consumer.
public final class KafkaConsumer: Sendable {
    private enum Phase {
        case open
        case closing([CheckedContinuation<Void, Never>])
        case closed
    }

    private let logger: Logger
    private let context: ClientContext
    private let client: RdKafkaClient
    private let pollThread = WorkerThread(name: "kafka-consumer-poll")
    private let commitThread = WorkerThread(name: "kafka-consumer-commit")
    private let phase = Mutex(Phase.open)
    /// A message a batch poll fetched after a rebalance and kept for the next poll (poll thread only).
    private let stash = Mutex<KafkaMessage?>(nil)

    /// Creates the consumer and subscribes. `rebalanceHandler` runs synchronously on the poll thread:
    /// for `.assigned` before the partitions are assigned; for `.revoked` before the stored offsets
    /// are committed and the partitions released, so it is the place to stop in-flight work and store
    /// its offsets. It may call ``storeOffset(_:)``, ``assignment()``, ``pause(_:)`` and ``resume(_:)``
    /// but must not await ``poll(timeout:)``, ``commit()`` or ``close()``.
    public init(
        configuration: KafkaConsumerConfiguration,
        logger: Logger,
        rebalanceHandler: (@Sendable (KafkaRebalanceEvent) -> Void)? = nil
    ) throws {
        self.logger = logger
        let context = ClientContext(logger: logger, rebalanceHandler: rebalanceHandler)
        self.context = context
        let rk = try RdKafkaConfiguration.makeClient(
            type: RD_KAFKA_CONSUMER, properties: configuration.properties, context: context
        ) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, rdkafkaRebalanceCallback)
            rd_kafka_conf_set_offset_commit_cb(conf, rdkafkaOffsetCommitCallback)
        }
        client = RdKafkaClient(rk)

        rd_kafka_poll_set_consumer(rk)
        let topics = TopicPartitionList.make(configuration.topics.map { KafkaTopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA) })
        defer { rd_kafka_topic_partition_list_destroy(topics) }
        let error = rd_kafka_subscribe(rk, topics)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            rd_kafka_destroy(rk)
            RdKafkaConfiguration.releaseContext(context)
            throw KafkaError(error, context: "subscribe to \(configuration.topics)")
        }
    }

    private var isOpen: Bool {
        if case .open = phase.withLock({ $0 }) { return true }
        return false
    }

    var isClosed: Bool { !isOpen }

    /// The next message, or `nil` if none arrived within `timeout` or the consumer is closing.
    /// Transient consumer errors (a broker went away, a subscribed topic does not exist yet) are
    /// logged and skipped; only fatal errors are thrown.
    public func poll(timeout: Duration) async throws -> KafkaMessage? {
        guard isOpen else { return nil }
        let client = client
        let logger = logger
        let deadline = ContinuousClock.now + timeout
        return try await pollThread.run { [self] in
            while isOpen {
                let remaining = ContinuousClock.now.duration(to: deadline)
                let slice = min(max(remaining, .zero), .milliseconds(100))
                let message = try client.withHandle { rd_kafka_consumer_poll($0, slice.rdkafkaMilliseconds) }
                if let message {
                    defer { rd_kafka_message_destroy(message) }
                    let error = message.pointee.err
                    if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                        return KafkaMessage(message)
                    }
                    if error == RD_KAFKA_RESP_ERR__FATAL {
                        throw KafkaError(error, context: "consume")
                    }
                    if error != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                        logger.warning("Kafka consumer error: \(KafkaError(error, context: "consume"))")
                    }
                }
                if remaining <= .zero { return nil }
            }
            return nil
        }
    }

    /// Up to `maxMessages` messages in one hop to the poll thread: waits up to `timeout` for the
    /// first, then takes only what is already fetched. Empty if none arrived in time or the consumer
    /// is closing. A batch never spans a rebalance: when a rebalance callback runs after the first
    /// message, the batch ends before the message that followed it (kept for the next poll), so every
    /// message of a batch was fetched under the assignment that held before any rebalance event the
    /// handler saw during this call.
    public func poll(maxMessages: Int, timeout: Duration) async throws -> [KafkaMessage] {
        guard isOpen else { return [] }
        let client = client
        let context = context
        let deadline = ContinuousClock.now + timeout
        return try await pollThread.run { [self] in
            var batch: [KafkaMessage] = []
            if let stashed = stash.withLock({ message in defer { message = nil }; return message }) { batch.append(stashed) }
            var generation = context.rebalances.load(ordering: .relaxed)
            while isOpen, batch.count < maxMessages {
                let remaining = ContinuousClock.now.duration(to: deadline)
                let wait = batch.isEmpty ? min(max(remaining, .zero), .milliseconds(100)) : .zero
                let message = try client.withHandle { rd_kafka_consumer_poll($0, wait.rdkafkaMilliseconds) }
                let now = context.rebalances.load(ordering: .relaxed)
                var received: KafkaMessage?
                if let message {
                    defer { rd_kafka_message_destroy(message) }
                    let error = message.pointee.err
                    if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                        received = KafkaMessage(message)
                    } else if error == RD_KAFKA_RESP_ERR__FATAL {
                        throw KafkaError(error, context: "consume")
                    } else if error != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                        logger.warning("Kafka consumer error: \(KafkaError(error, context: "consume"))")
                    }
                }
                if now != generation {
                    if !batch.isEmpty {
                        stash.withLock { $0 = received }
                        return batch
                    }
                    generation = now
                }
                if let received {
                    batch.append(received)
                } else if !batch.isEmpty || remaining <= .zero {
                    return batch
                }
            }
            return batch
        }
    }

    /// Marks `message` as processed: `message.offset + 1` becomes the partition's next commit.
    /// Throws if the partition is no longer assigned to this consumer.
    public func storeOffset(_ message: KafkaMessage) throws {
        try storeOffset(message.topicPartition, next: message.offset + 1)
    }

    /// Makes `next` the partition's next commit (the offset of the first record not yet processed).
    /// Throws if the partition is no longer assigned to this consumer.
    public func storeOffset(_ topicPartition: KafkaTopicPartition, next: Int64) throws {
        let list = TopicPartitionList.make([topicPartition]) { _ in next }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try client.withHandle { rk in
            let error = rd_kafka_offsets_store(rk, list)
            if let (partition, partitionError) = TopicPartitionList.firstError(list) {
                throw KafkaError(partitionError, context: "store offset \(next) for \(partition)")
            }
            if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(error, context: "store offset for \(topicPartition)")
            }
        }
    }

    /// Commits the stored offsets and waits for the broker's answer (on the commit thread). Succeeds
    /// when there is nothing new to commit.
    public func commit() async throws {
        guard isOpen else { throw KafkaError.closed() }
        let client = client
        try await commitThread.run {
            let error = try client.withHandle { rd_kafka_commit($0, nil, 0) }
            if error != RD_KAFKA_RESP_ERR_NO_ERROR, error != RD_KAFKA_RESP_ERR__NO_OFFSET {
                throw KafkaError(error, context: "commit")
            }
        }
    }

    /// Sends the stored offsets to the group coordinator without waiting for the answer (a failure is
    /// logged when the answer arrives; the offsets stay stored and go with the next commit). Cheap:
    /// no thread hop, callable from any thread.
    public func commitAsync() throws {
        guard isOpen else { throw KafkaError.closed() }
        let error = try client.withHandle { rd_kafka_commit($0, nil, 1) }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR, error != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaError(error, context: "commit")
        }
    }

    /// Stops fetching from `partitions` (messages already fetched for them are dropped and fetched
    /// again after ``resume(_:)``). Pausing does not survive a rebalance.
    public func pause(_ partitions: [KafkaTopicPartition]) throws {
        try changePause(partitions, pause: true)
    }

    /// Resumes fetching from `partitions` at the position where they were paused.
    public func resume(_ partitions: [KafkaTopicPartition]) throws {
        try changePause(partitions, pause: false)
    }

    private func changePause(_ partitions: [KafkaTopicPartition], pause: Bool) throws {
        let list = TopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try client.withHandle { rk in
            let error = pause ? rd_kafka_pause_partitions(rk, list) : rd_kafka_resume_partitions(rk, list)
            let what = pause ? "pause" : "resume"
            if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "\(what) \(partitions)") }
            if let (partition, partitionError) = TopicPartitionList.firstError(list) {
                throw KafkaError(partitionError, context: "\(what) \(partition)")
            }
        }
    }

    /// The partition's high watermark as the consumer's last fetch reported it (no broker request,
    /// does not block); nil before a fetch of the partition reported one.
    public func cachedHighWatermark(_ partition: KafkaTopicPartition) -> Int64? {
        let high = try? client.withHandle { rk -> Int64? in
            var low: Int64 = -1, high: Int64 = -1
            let error = rd_kafka_get_watermark_offsets(rk, partition.topic, partition.partition, &low, &high)
            return error == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 ? high : nil
        }
        return high ?? nil
    }

    /// The partitions currently assigned to this consumer.
    public func assignment() throws -> [KafkaTopicPartition] {
        try client.withHandle { rk in
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            let error = rd_kafka_assignment(rk, &list)
            defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
            if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "assignment") }
            return TopicPartitionList.partitions(list)
        }
    }

    /// Ends pending polls, commits the stored offsets, leaves the group (the
    /// rebalance handler sees `.revoked`), and frees the handle and threads. Idempotent; concurrent
    /// callers all return once it finished.
    public func close() async {
        let isFirst = phase.withLock { phase -> Bool? in
            switch phase {
            case .open:
                phase = .closing([])
                return true
            case .closing:
                return false
            case .closed:
                return nil
            }
        }
        guard let isFirst else { return }
        guard isFirst else {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let finished = phase.withLock { phase -> Bool in
                    guard case .closing(var waiters) = phase else { return true }
                    waiters.append(continuation)
                    phase = .closing(waiters)
                    return false
                }
                if finished { continuation.resume() }
            }
            return
        }

        let client = client
        let logger = logger
        let pollThread = pollThread
        _ = try? await pollThread.run {
            _ = try? client.withHandle { rk in
                let commit = rd_kafka_commit(rk, nil, 0)
                if commit != RD_KAFKA_RESP_ERR_NO_ERROR, commit != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    logger.warning("Kafka commit on close failed: \(KafkaError(commit, context: "commit"))")
                }
                let close = rd_kafka_consumer_close(rk)
                if close != RD_KAFKA_RESP_ERR_NO_ERROR {
                    logger.warning("Kafka consumer close failed: \(KafkaError(close, context: "close"))")
                }
            }
            client.destroy()
        }
        await pollThread.stop()
        await commitThread.stop()
        RdKafkaConfiguration.releaseContext(context)

        let waiters = phase.withLock { phase -> [CheckedContinuation<Void, Never>] in
            defer { phase = .closed }
            if case .closing(let waiters) = phase { return waiters }
            return []
        }
        for waiter in waiters { waiter.resume() }
    }
}
