import Foundation
import Kafka
import Logging

/// `replayd dlq replay`: produces the chosen dead letters (original key, value and headers, without
/// the `dlq-*` ones) back to the batches topic. Idempotent: the Processor de-duplicates by
/// (session, seq), so replaying twice stores nothing twice. The dead-letter topic is only read —
/// nothing is deleted or committed, so records that were not replayed stay where they are.
public struct DeadLetterReplayer: Sendable {
    /// How far a replay got; passed to the progress callback and returned at the end.
    public struct Progress: Sendable, Equatable {
        /// Records read from the dead-letter topic so far.
        public var scanned = 0
        /// Records in the topic when the replay started (an estimate from the watermarks).
        public var estimatedTotal = 0
        /// Records that matched the filter.
        public var matched = 0
        /// Records the batches topic acknowledged (0 in a dry run).
        public var replayed = 0
        /// Matching records whose produce failed (replay again to retry them).
        public var failed = 0
        public var dryRun = false
    }

    public var reader: DeadLetterReader
    /// Where replayed records go (`replay.batches`).
    public var targetTopic: String
    public var producerConfiguration: KafkaProducerConfiguration
    /// Produces in flight at once.
    public var maxInFlight = 256

    public init(reader: DeadLetterReader, targetTopic: String, producerConfiguration: KafkaProducerConfiguration) {
        self.reader = reader
        self.targetTopic = targetTopic
        self.producerConfiguration = producerConfiguration
    }

    /// Replays what matches `filter` (or, with `dryRun`, only counts it). `progress` is called
    /// after every record read and once at the end.
    public func replay(
        _ filter: DeadLetterFilter, dryRun: Bool, logger: Logger,
        progress: @Sendable (Progress) -> Void = { _ in }
    ) async throws -> Progress {
        var state = Progress()
        state.dryRun = dryRun
        state.estimatedTotal = await reader.estimatedCount()
        let producer = dryRun ? nil : try ResilientKafkaProducer(configuration: producerConfiguration, logger: logger)
        let targetTopic = targetTopic
        let maxInFlight = maxInFlight
        do {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                var inFlight = 0
                // Records of one session (key) are sent one after another, in dead-letter order, so a
                // replay keeps per-session order; different sessions go out concurrently.
                var lastSend: [[UInt8]: Task<Bool, Never>] = [:]
                func collect(_ ok: Bool) {
                    inFlight -= 1
                    if ok { state.replayed += 1 } else { state.failed += 1 }
                }
                try await reader.read { message in
                    state.scanned += 1
                    if let record = DeadLetterRecord(message), filter.matches(record) {
                        state.matched += 1
                        if let producer {
                            if inFlight >= maxInFlight, let ok = try await group.next() { collect(ok) }
                            inFlight += 1
                            let outgoing = record.replay(topic: targetTopic)
                            let previous = lastSend[outgoing.key ?? []]
                            let send = Task { () -> Bool in
                                _ = await previous?.value
                                do {
                                    _ = try await producer.send(outgoing)
                                    return true
                                } catch {
                                    logger.warning("Replay of a dead letter failed: \(error)")
                                    return false
                                }
                            }
                            lastSend[outgoing.key ?? []] = send
                            group.addTask { await send.value }
                        }
                    }
                    progress(state)
                }
                while let ok = try await group.next() { collect(ok) }
            }
        } catch {
            await producer?.shutdown()
            throw error
        }
        await producer?.shutdown()
        progress(state)
        return state
    }
}
