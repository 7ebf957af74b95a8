/// A consumer group as its coordinator describes it.
public struct KafkaGroupState: Sendable, Equatable {
    /// `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty` or `Dead` (no such group).
    public var state: String
    /// Members the coordinator counts in the group.
    public var members: Int

    public init(state: String, members: Int) {
        self.state = state
        self.members = members
    }
}
