import Kafka
import Uploader
import Synchronization

/// What the ``ConsumerLoop`` and the outside share while a Processor runs: the stop request, the
/// rebalance events the consumer's poll thread queues for the loop, the assignment, and how far each
/// partition got (polled, durable in the spool, committed). The loop writes, the ``BatchProcessor``
/// (its metrics, tests, benchmarks) reads; each field has its own lock, held only to copy a value.
final class ProcessorProgress: Sendable {
    private struct Flags {
        var stop = false
        var assignment: [KafkaTopicPartition] = []
        /// Since when the instance has had no partition (nil while it has some).
        var unassignedSince: ContinuousClock.Instant? = .now
        var spoolPressure: SpoolBudget.Pressure?
    }
    private let flags = Mutex(Flags())
    private let rebalanceEvents = Mutex<[KafkaRebalanceEvent]>([])
    private let positions = Mutex<[KafkaTopicPartition: Int64]>([:])
    private let spooled = Mutex<[KafkaTopicPartition: Int64]>([:])
    private let polled = Atomic<Int>(0)

    // MARK: stop

    func requestStop() { flags.withLock { $0.stop = true } }
    var stopRequested: Bool { flags.withLock { $0.stop } }

    // MARK: rebalances

    /// Runs on the consumer's poll thread during `poll`; the loop applies the event after `poll` returned.
    func noteRebalance(_ event: KafkaRebalanceEvent) {
        rebalanceEvents.withLock { $0.append(event) }
        flags.withLock { flags in
            switch event {
            case .assigned(let partitions): flags.assignment = Array(Set(flags.assignment).union(partitions))
            case .revoked(let partitions): flags.assignment.removeAll { partitions.contains($0) }
            }
            if flags.assignment.isEmpty {
                if flags.unassignedSince == nil { flags.unassignedSince = .now }
            } else {
                flags.unassignedSince = nil
            }
        }
    }

    /// How long the instance has had no partition; nil while it has some.
    var unassignedFor: Duration? { flags.withLock { $0.unassignedSince.map { .now - $0 } } }

    func noteSpoolPressure(_ pressure: SpoolBudget.Pressure?) { flags.withLock { $0.spoolPressure = pressure } }
    var spoolPressure: SpoolBudget.Pressure? { flags.withLock { $0.spoolPressure } }

    func takeRebalanceEvents() -> [KafkaRebalanceEvent] {
        rebalanceEvents.withLock { events in
            defer { events.removeAll() }
            return events
        }
    }

    var assignment: [KafkaTopicPartition] { flags.withLock { $0.assignment } }

    // MARK: positions

    func countPolled(_ count: Int) { polled.add(count, ordering: .relaxed) }
    var recordsPolled: Int { polled.load(ordering: .relaxed) }

    func recordPosition(_ partition: KafkaTopicPartition, next offset: Int64) {
        positions.withLock { $0[partition] = offset }
    }

    func recordSpooled(_ partition: KafkaTopicPartition, next offset: Int64) {
        spooled.withLock { $0[partition] = offset }
    }

    func forgetPosition(_ partition: KafkaTopicPartition) {
        positions.withLock { $0[partition] = nil }
        spooled.withLock { $0[partition] = nil }
    }

    var committedPositions: [KafkaTopicPartition: Int64] { positions.withLock { $0 } }
    var spooledPositions: [KafkaTopicPartition: Int64] { spooled.withLock { $0 } }
}
