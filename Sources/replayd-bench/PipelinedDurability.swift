import Uploader

/// Durable groups the way the Processor makes them (``GroupCommit``; benchmarks use it so that
/// "spool alone" and "processor" pay the same durability): every `groupSize` writes become a group
/// that the spool syncs while appending goes on; a new group first waits for the previous one.
struct PipelinedDurability {
    let groupSize: Int
    private var commit: GroupCommit<Void>

    init(spool: Spool, groupSize: Int) {
        self.groupSize = groupSize
        commit = GroupCommit(spool: spool)
    }

    mutating func wrote(_ ticket: SpoolTicket) async throws {
        commit.add(ticket)
        guard commit.pending >= groupSize else { return }
        try await finishGroup()
        commit.seal(covering: ())
    }

    /// Waits until every write so far is durable.
    mutating func finish() async throws {
        try await finishGroup()
        commit.seal(covering: ())
        try await finishGroup()
    }

    private mutating func finishGroup() async throws {
        if case .failed(_, let error) = await commit.finish() { throw error }
    }
}
