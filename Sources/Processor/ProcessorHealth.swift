import Kafka
import Uploader

/// What a Processor instance says about itself beyond its metrics: whether it takes records, and
/// whether it is stuck without partitions. `/readyz` reports it.
public struct ProcessorHealth: Sendable, Equatable {
    /// Why no partition is assigned, once the instance has waited longer than
    /// ``ProcessorConfiguration/assignmentWait``.
    public enum Assignment: Sendable, Equatable {
        /// It has partitions, or has not waited long yet.
        case ok
        /// The group has more members than the topic has partitions: waiting is expected.
        case idle(members: Int, partitions: Int)
        /// Nothing explains the wait (the group coordinator may be stuck); `members` nil when the
        /// group could not be described.
        case stuck(waited: Duration, members: Int?, partitions: Int?, groupState: String? = nil)

        public var isStuck: Bool {
            if case .stuck = self { return true }
            return false
        }
    }

    public var assignment: Assignment
    /// Non-nil while the spool is over its disk budget.
    public var spoolPressure: SpoolBudget.Pressure?

    public init(assignment: Assignment, spoolPressure: SpoolBudget.Pressure? = nil) {
        self.assignment = assignment
        self.spoolPressure = spoolPressure
    }

    /// Why the instance is not ready; nil when it is.
    public var problem: String? {
        if case .stuck(let waited, let members, let partitions, let groupState) = assignment {
            let group = members.map { "the group (\(groupState ?? "state unknown")) has \($0) member(s)" } ?? "the group could not be described"
            let topic = partitions.map { " for \($0) partition(s)" } ?? ""
            return "no partition assigned for \(waited.components.seconds) s although \(group)\(topic); the group coordinator may be stuck: restart the broker, or run the Processors under a new REPLAYD_KAFKA_GROUP"
        }
        if let spoolPressure { return "not taking records: \(spoolPressure)" }
        return nil
    }
}

/// Describes the consumer group and the topic for ``ProcessorHealth`` (``KafkaAdminClient``).
public protocol ProcessorGroupInspector: Sendable {
    func group(_ group: String) async throws -> KafkaGroupState
    func partitionCount(topic: String) async throws -> Int32
}

extension KafkaAdminClient: ProcessorGroupInspector {}
