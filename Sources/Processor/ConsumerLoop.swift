import Core
import Foundation
import Kafka
import Logging
import Metrics
import Uploader

/// The Processor's single consumer loop. Owned by the task running ``BatchProcessor/run()``; never
/// shared, so its state needs no lock. (The rebalance handler runs on the consumer's poll thread
/// while this loop awaits `poll`, and only queues events that the loop applies after `poll`
/// returned.)
///
/// - Every polled record is classified, checked against its campaign and written to the spool
///   (`Spool.write`, pipelined: no waiting per record), or dead-lettered.
/// - Every ``ProcessorConfiguration/commitInterval`` (or after
///   ``ProcessorConfiguration/maxUndurableRecords``) the writes so far become a *durable group*: the
///   spool syncs them while the loop goes on consuming (one group at a time; the next one waits for
///   it). When the group is durable, its records are *finished*.
/// - **Commit after S3.** Each spooled record carries its origin (topic, partition, offset); the
///   segment holding it holds that offset until the segment is uploaded, verified and indexed
///   (``Spool/lowestHeldOffset(_:atLeast:)``). A partition's next commit is the lower of "after the
///   last finished record" and "the lowest offset still held", re-checked after every group and every
///   ``ProcessorConfiguration/commitInterval``. So an offset is committed only once its record (and
///   every earlier one of the partition) is in S3 or in the dead-letter topic; a lost spool is
///   re-read from Kafka by the next owner. The spool closes a segment that holds a commit back for
///   ``SpoolConfiguration/commitMaxDelay``, which bounds that re-read.
/// - **Disk budget.** While the spool is over its budget (``SpoolBudget``), records are not written:
///   each arriving record waits, uncounted as an attempt, in its partition's ``RetryQueue`` (which
///   pauses the partition) until uploads have freed room; on entering that state the open segments
///   are closed so they upload now. Nothing is dropped or dead-lettered for it.
/// - A transient failure pauses the record's partition; the record and those behind it wait in a
///   ``RetryQueue`` while the loop keeps polling (with a timeout up to the next due retry: no busy
///   loop, no missed `max.poll.interval`).
/// - On revocation, in-flight work of the revoked partitions is abandoned: nothing more is stored
///   for them, the segments holding them are closed (so they upload now), and the next owner reads
///   again from the last committed offset (what this instance uploads meanwhile is de-duplicated).
/// - On stop (SIGTERM), after the last group: the segments holding the assigned partitions are
///   closed and the loop keeps committing as the uploader stores them, until nothing is held or
///   ``ProcessorConfiguration/handoverTimeout`` passed (then the next owner re-reads the rest).
final class ConsumerLoop {
    let configuration: ProcessorConfiguration
    let consumer: KafkaConsumer
    let spool: Spool
    let campaigns: CampaignDirectory
    let deadLetters: ResilientKafkaProducer
    /// Shared with the ``BatchProcessor``: the stop request and rebalance events in, positions out.
    let progress: ProcessorProgress
    let logger: Logger
    let metrics: ProcessorMetrics
    let policy: RetryPolicy
    let budget: SpoolBudget

    private var retries: [KafkaTopicPartition: RetryQueue] = [:]
    /// The last finished record per partition not yet part of a finished durable group.
    private var finished: [KafkaTopicPartition: KafkaMessage] = [:]
    /// Per partition: the offset of the last record finished (durable in the spool or dead-lettered),
    /// the first offset polled since it was assigned (holds below it are another owner's past), and
    /// the next offset stored for commit.
    private var finishedThrough: [KafkaTopicPartition: Int64] = [:]
    private var floors: [KafkaTopicPartition: Int64] = [:]
    private var stored: [KafkaTopicPartition: Int64] = [:]
    private var lastCommitCheck = ContinuousClock.now
    /// Spool writes not yet known durable, and the durable group being synced (covering the last
    /// finished record per partition).
    private var commit: GroupCommit<[KafkaTopicPartition: KafkaMessage]>
    private var lastFlush = ContinuousClock.now
    private var flushFailures = 0
    private var flushDue: ContinuousClock.Instant?
    /// Set when the processor cannot go on (the spool stopped); ``run()`` throws it.
    private var fatalFailure: ProcessorError?

    init(configuration: ProcessorConfiguration, consumer: KafkaConsumer, spool: Spool, campaigns: CampaignDirectory,
         deadLetters: ResilientKafkaProducer, progress: ProcessorProgress, logger: Logger, metrics: ProcessorMetrics) {
        self.configuration = configuration
        self.consumer = consumer
        self.spool = spool
        self.campaigns = campaigns
        self.deadLetters = deadLetters
        self.progress = progress
        commit = GroupCommit(spool: spool)
        budget = SpoolBudget(spool: spool)
        self.logger = logger
        self.metrics = metrics
        policy = RetryPolicy(maxAttempts: configuration.maxAttempts, baseDelay: configuration.retryBaseDelay,
                             maxDelay: configuration.retryMaxDelay)
    }

    /// Runs until ``BatchProcessor/stop()`` sets ``ProcessorProgress/stopRequested`` (then finishes: flush, store, commit).
    func run() async throws {
        while true {
            if progress.stopRequested || Task.isCancelled { break }
            applyRebalanceEvents()
            try await flushIfDue()
            await retryDue()
            if let fatalFailure { throw fatalFailure }
            let messages = try await consumer.poll(maxMessages: configuration.maxPollRecords, timeout: pollTimeout())
            progress.countPolled(messages.count)
            // The batch was fetched before any rebalance this poll served: drop what the revoked
            // partitions' next owner reads again from their committed offsets.
            let revoked = applyRebalanceEvents()
            if let fatalFailure { throw fatalFailure }
            let accepted = messages.filter { !revoked.contains($0.topicPartition) }
            var classifications = PipelinedClassification(accepted, limits: configuration.limits)
            for (index, message) in accepted.enumerated() {
                let classified = await classifications.result(at: index)
                let partition = message.topicPartition
                if floors[partition] == nil { floors[partition] = message.offset }
                if retries[partition] != nil {
                    retries[partition]!.messages.append(message)
                } else if let flushDue {
                    hold(message, until: flushDue)
                } else if spoolIsFull() {
                    hold(message, until: .now + Self.budgetRecheck)
                } else {
                    await handle(message, classified: classified)
                    if let fatalFailure { throw fatalFailure }
                }
            }
        }
        if flushDue == nil {
            try? await flush(wait: true)
        } else {
            try? await finishGroup()
        }
        await handOver()
    }

    /// Closes the segments holding this instance's partitions and commits as they reach S3, until
    /// nothing finished is held or ``ProcessorConfiguration/handoverTimeout`` passed.
    private func handOver() async {
        let partitions = Array(finishedThrough.keys)
        guard !partitions.isEmpty else { return }
        do {
            let closed = try spool.closeSegments(holding: Set(partitions.map(Self.source)))
            logger.info("Handing partitions over: uploading the segments that hold their commit", metadata: [
                "partitions": "\(partitions)", "segments": "\(closed)",
            ])
        } catch {
            logger.warning("Could not close segments for the handover; the next owner re-reads them", metadata: ["error": "\(error)"])
        }
        let deadline = ContinuousClock.now + configuration.handoverTimeout
        while true {
            commitCommittable()
            if everythingCommitted { return }
            guard !Task.isCancelled, ContinuousClock.now < deadline else {
                logger.warning("Handover timeout: leaving the group with batches not yet in S3; the next owner re-reads them from the committed offsets", metadata: [
                    "timeout": "\(configuration.handoverTimeout)",
                ])
                return
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: records

    /// `classified`: the message's classification when it was made ahead (``PipelinedClassification``).
    private func handle(_ message: KafkaMessage, classified: RecordClassifier.Outcome? = nil) async {
        guard let failure = await attempt(message, classified: classified) else { return }
        switch failure.kind {
        case .poison:
            var queue = RetryQueue(message, due: .now)
            queue.attempts = 1
            queue.firstFailure = Date()
            queue.lastFailure = failure
            if await deadLetter(&queue) { return }
            pause(message.topicPartition, queue)
        case .transient:
            var queue = RetryQueue(message, due: .now)
            if await failed(&queue, failure) { return }
            pause(message.topicPartition, queue)
        }
    }

    /// Classifies, checks the campaign and writes `message` to the spool; `nil` on success.
    private func attempt(_ message: KafkaMessage, classified outcome: RecordClassifier.Outcome? = nil) async -> ProcessingFailure? {
        var classified: RecordClassifier.Classified
        switch outcome ?? RecordClassifier.classify(message, limits: configuration.limits) {
        case .failure(let failure): return failure
        case .success(let value): classified = value
        }
        classified.record.origin = SpoolOrigin(source: Self.source(message.topicPartition), offset: message.offset)
        do {
            guard try await campaigns.exists(classified.campaignID) else {
                return .poison(.unknownCampaign, "no campaign has the id \(classified.campaignID.uuidString.lowercased())")
            }
            let (result, ticket) = try spool.write(classified.record)
            budget.noteWritten(classified.record.events.count)
            commit.add(ticket)
            switch result {
            case .appended: metrics.stored.increment()
            case .duplicate: metrics.duplicate.increment()
            case .conflict: metrics.conflict.increment()
            }
            finish(message)
            return nil
        } catch {
            return ProcessingFailure.classify(error)
        }
    }

    /// Books a transient failure of the head of `queue`; dead-letters it when retries are exhausted.
    /// Returns true when the head is finished (dead-lettered).
    private func failed(_ queue: inout RetryQueue, _ failure: ProcessingFailure) async -> Bool {
        queue.attempts += 1
        queue.firstFailure = queue.firstFailure ?? Date()
        queue.lastFailure = failure
        if case .poison = failure.kind {
            return await deadLetter(&queue)
        }
        guard policy.shouldRetry(afterAttempts: queue.attempts) else {
            if failure.requiresRestart {
                fatalFailure = ProcessorError.spoolFailed(failure, attempts: queue.attempts)
                queue.due = .now + policy.maxDelay
                return false
            }
            return await deadLetter(&queue)
        }
        metrics.retries.increment()
        let delay = policy.delay(afterAttempts: queue.attempts)
        queue.due = .now + delay
        let head = queue.messages[0]
        logger.warning("Batch failed, retrying", metadata: [
            "partition": "\(head.topicPartition)", "offset": "\(head.offset)", "attempt": "\(queue.attempts)",
            "retry_in": "\(delay)", "error": "\(failure)",
        ])
        return false
    }

    /// Produces the head of `queue` to the dead-letter topic. Returns true once the broker
    /// acknowledged it (the head is finished); otherwise it stays pending and is retried.
    private func deadLetter(_ queue: inout RetryQueue) async -> Bool {
        let head = queue.messages[0]
        let record = queue.pendingDeadLetter ?? DeadLetterRecord(
            original: head, failure: queue.lastFailure!, attempts: queue.attempts,
            firstFailure: queue.firstFailure ?? Date(), lastFailure: Date(), instance: configuration.instanceID)
        do {
            _ = try await deadLetters.send(record.outgoing(topic: configuration.deadLetterTopic))
            metrics.deadLetter(record.reason)
            logger.notice("Batch dead-lettered", metadata: [
                "partition": "\(head.topicPartition)", "offset": "\(head.offset)", "reason": "\(record.reason.rawValue)",
                "attempts": "\(record.attempts)", "error": "\(record.message)",
            ])
            finish(head)
            return true
        } catch {
            queue.pendingDeadLetter = record
            let delay = policy.delay(afterAttempts: min(queue.attempts + 1, 20))
            queue.due = .now + delay
            metrics.retries.increment()
            logger.warning("Could not produce a dead letter, retrying", metadata: [
                "partition": "\(head.topicPartition)", "offset": "\(head.offset)", "retry_in": "\(delay)", "error": "\(error)",
            ])
            return false
        }
    }

    private func finish(_ message: KafkaMessage) {
        finished[message.topicPartition] = message
    }

    // MARK: retries

    private func pause(_ partition: KafkaTopicPartition, _ queue: RetryQueue) {
        retries[partition] = queue
        do { try consumer.pause([partition]) } catch {
            logger.debug("Could not pause \(partition): \(error)")
        }
        metrics.pausedPartitions.record(retries.count)
    }

    /// While the spool is not durable, records go to a queue until the next flush attempt.
    private func hold(_ message: KafkaMessage, until due: ContinuousClock.Instant) {
        pause(message.topicPartition, RetryQueue(message, due: due))
    }

    private func retryDue() async {
        let now = ContinuousClock.now
        for (partition, queue) in retries where queue.due <= now && flushDue == nil {
            var queue = queue
            var blocked = false
            while !queue.messages.isEmpty, !progress.stopRequested {
                if queue.pendingDeadLetter != nil {
                    if await deadLetter(&queue) { queue.advance(); continue }
                    blocked = true
                    break
                }
                if spoolIsFull() {
                    queue.due = .now + Self.budgetRecheck
                    blocked = true
                    break
                }
                if let failure = await attempt(queue.messages[0]) {
                    if await failed(&queue, failure) { queue.advance(); continue }
                    blocked = true
                    break
                }
                queue.advance()
            }
            if blocked || !queue.messages.isEmpty {
                retries[partition] = queue
            } else {
                retries[partition] = nil
                do { try consumer.resume([partition]) } catch {
                    logger.debug("Could not resume \(partition): \(error)")
                }
            }
        }
        metrics.pausedPartitions.record(retries.count)
    }

    // MARK: disk budget

    /// How often a record held for the disk budget looks again.
    static let budgetRecheck = Duration.seconds(1)

    /// Whether the spool is over its disk budget; logs and reports the changes.
    private func spoolIsFull() -> Bool {
        let pressure = budget.pressure()
        let wasFull = progress.spoolPressure != nil
        if pressure != progress.spoolPressure { progress.noteSpoolPressure(pressure) }  // `/readyz` shows current figures
        if (pressure != nil) != wasFull {
            metrics.spoolFull.record(pressure == nil ? 0 : 1)
            if let pressure {
                let closed = (try? spool.closeSegments(holding: Set(finishedThrough.keys.map(Self.source)))) ?? 0
                logger.warning("Spool over its disk budget: taking no records until uploads free room (nothing is dropped)", metadata: [
                    "budget": "\(pressure)", "segments_closed_for_upload": "\(closed)",
                ])
            } else {
                logger.notice("Spool has room again: taking records")
            }
        }
        return pressure != nil
    }

    private func pollTimeout() -> Duration {
        var timeout = Duration.milliseconds(100)
        let now = ContinuousClock.now
        for queue in retries.values {
            timeout = min(timeout, now.duration(to: queue.due))
        }
        if let flushDue { timeout = min(timeout, now.duration(to: flushDue)) }
        return max(timeout, .milliseconds(1))
    }

    // MARK: durability and offsets

    private func flushIfDue() async throws {
        let now = ContinuousClock.now
        let due: Bool
        if let flushDue {
            due = flushDue <= now
        } else {
            due = commit.pending >= configuration.maxUndurableRecords
                || (now - lastFlush >= configuration.commitInterval && !(commit.latest == nil && finished.isEmpty))
        }
        if !commit.isSyncing, now - lastCommitCheck >= configuration.commitInterval, !finishedThrough.isEmpty {
            commitCommittable()
        }
        do {
            if commit.isSyncing, commit.isSettled { try await finishGroup() }
            guard due else { return }
            if flushDue != nil {
                // Retrying after a failure: only a durable result lets the held records go on.
                try await flush(wait: true)
                flushDue = nil
                flushFailures = 0
                for partition in retries.keys { retries[partition]!.due = .now }
            } else {
                try await flush(wait: false)
            }
        } catch let error as ProcessorError {
            throw error
        } catch {
            let failure = ProcessingFailure.classify(error)
            flushFailures += 1
            guard policy.shouldRetry(afterAttempts: flushFailures) else {
                throw ProcessorError.spoolNotDurable(failure, attempts: flushFailures)
            }
            let delay = policy.delay(afterAttempts: flushFailures)
            flushDue = .now + delay
            metrics.retries.increment()
            logger.warning("Spool writes are not durable, retrying", metadata: ["retry_in": "\(delay)", "error": "\(failure)"])
            if let assignment = try? consumer.assignment() { try? consumer.pause(assignment) }
        }
    }

    /// Makes every write so far a durable group (after the previous group finished) and, with
    /// `wait`, waits until it is durable and its offsets are committed.
    func flush(wait: Bool) async throws {
        try await finishGroup()
        lastFlush = .now
        guard commit.latest != nil || !finished.isEmpty else { return }
        commit.seal(covering: finished)
        finished.removeAll(keepingCapacity: true)
        if wait { try await finishGroup() }
    }

    /// Waits for the durable group, then stores each partition's last finished offset in it and
    /// commits. If the spool could not make it durable, its work is put back for the next attempt.
    private func finishGroup() async throws {
        let offsets: [KafkaTopicPartition: KafkaMessage]
        switch await commit.finish() {
        case .none:
            return
        case .failed(let covered, let error):
            for (partition, message) in covered where finished[partition] == nil { finished[partition] = message }
            throw error
        case .durable(let covered, let waited):
            if let waited { metrics.durableWait.recordNanoseconds(RetryPolicy.nanoseconds(waited)) }
            offsets = covered
        }
        for (partition, message) in offsets {
            finishedThrough[partition] = max(finishedThrough[partition] ?? message.offset, message.offset)
            progress.recordSpooled(partition, next: finishedThrough[partition]! + 1)
        }
        commitCommittable()
    }

    /// Stores and sends for commit, per partition, the offset up to which everything is in S3 or
    /// the dead-letter topic: after the last finished record, but not past the lowest offset a
    /// segment not yet uploaded holds.
    func commitCommittable() {
        lastCommitCheck = .now
        var advanced = false
        for (partition, through) in finishedThrough {
            var next = through + 1
            let floor = floors[partition] ?? 0
            if let held = spool.lowestHeldOffset(Self.source(partition), atLeast: floor), held < next {
                next = held
            }
            guard next > (stored[partition] ?? floor) else { continue }
            do {
                try consumer.storeOffset(partition, next: next)
                stored[partition] = next
                progress.recordPosition(partition, next: next)
                advanced = true
            } catch {
                logger.debug("Not storing offset \(next) for \(partition) (no longer assigned): \(error)")
            }
        }
        for (partition, age) in oldestUnuploadedAges() { metrics.oldestUnuploaded(partition, age) }
        if advanced {
            // Sent without waiting for the coordinator's answer (a round trip the loop would otherwise
            // stall on); a failed commit leaves the offsets stored for the next one, and close()
            // commits synchronously.
            do {
                try consumer.commitAsync()
                metrics.commitsOK.increment()
            } catch {
                metrics.commitsFailed.increment()
                logger.warning("Offset commit failed: \(error)")
            }
        }
    }

    /// Whether every finished record of the assigned partitions is committed (nothing is held).
    var everythingCommitted: Bool {
        finishedThrough.allSatisfy { partition, through in (stored[partition] ?? -1) > through }
    }

    /// Per assigned partition, how long its oldest record not yet in S3 has waited in the spool.
    func oldestUnuploadedAges() -> [KafkaTopicPartition: Duration] {
        var ages: [KafkaTopicPartition: Duration] = [:]
        for (partition, floor) in floors {
            ages[partition] = spool.oldestHoldAge(Self.source(partition), atLeast: floor) ?? .zero
        }
        return ages
    }

    static func source(_ partition: KafkaTopicPartition) -> SpoolSource {
        SpoolSource(topic: partition.topic, partition: partition.partition)
    }

    // MARK: rebalances

    /// Applies the rebalance events the last poll served; returns the partitions revoked.
    @discardableResult
    private func applyRebalanceEvents() -> Set<KafkaTopicPartition> {
        var revoked: Set<KafkaTopicPartition> = []
        for event in progress.takeRebalanceEvents() {
            switch event {
            case .revoked(let partitions):
                revoked.formUnion(partitions)
                for partition in partitions {
                    retries[partition] = nil
                    finished[partition] = nil
                    commit.updateCovered { $0[partition] = nil }
                    finishedThrough[partition] = nil
                    floors[partition] = nil
                    stored[partition] = nil
                    progress.forgetPosition(partition)
                }
                // Upload what the revoked partitions hold now; the next owner re-reads from their
                // committed offsets and de-duplication absorbs the overlap.
                do { try spool.closeSegments(holding: Set(partitions.map(Self.source))) } catch {
                    logger.warning("Could not close the revoked partitions' segments: \(error)")
                }
                logger.info("Partitions revoked", metadata: ["partitions": "\(partitions)"])
            case .assigned(let partitions):
                logger.info("Partitions assigned", metadata: ["partitions": "\(partitions)"])
                if flushDue != nil {
                    // Pausing does not survive a rebalance; while the spool is failing, fetch nothing new.
                    try? consumer.pause(partitions)
                }
            }
        }
        metrics.pausedPartitions.record(retries.count)
        return revoked
    }
}
