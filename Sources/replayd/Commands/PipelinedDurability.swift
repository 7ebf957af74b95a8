import Uploader

/// Durable groups the way the Processor makes them (benchmarks use it so that "spool alone" and
/// "processor" pay the same durability): every `groupSize` writes become a group that the spool
/// syncs while appending goes on; a new group first waits for the previous one (one in flight).
struct PipelinedDurability {
    let spool: Spool
    let groupSize: Int
    private var writes = 0
    private var latest: SpoolTicket?
    private var inFlight: Task<Void, any Error>?

    init(spool: Spool, groupSize: Int) {
        self.spool = spool
        self.groupSize = groupSize
    }

    mutating func wrote(_ ticket: SpoolTicket) async throws {
        latest = ticket
        writes += 1
        guard writes % groupSize == 0 else { return }
        try await inFlight?.value
        let spool = self.spool
        inFlight = Task { try await spool.waitDurable(ticket) }
    }

    /// Waits until every write so far is durable.
    mutating func finish() async throws {
        try await inFlight?.value
        inFlight = nil
        if let latest { try await spool.waitDurable(latest) }
    }
}
