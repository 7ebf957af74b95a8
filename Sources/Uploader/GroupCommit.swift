/// Spool writes made durable in groups while writing goes on: the one definition of the group
/// commit the Processor runs and the benchmarks measure.
///
/// Writes are ``add(_:)``ed as they happen. ``seal(covering:)`` makes every write added so far a
/// group that the spool syncs in the background; one group is in flight at a time (``finish()``
/// the previous one first). ``finish()`` waits for the group and hands back what it `covered` (the
/// Processor: the last record per partition; the benchmarks: nothing). When the spool could not
/// make a group durable, its writes are added back, so sealing again retries them.
public struct GroupCommit<Covered: Sendable> {
    public enum Outcome {
        /// No group was in flight.
        case none
        /// The group is durable; `waited` is how long its sync ran (nil when it held no writes).
        case durable(Covered, waited: Duration?)
        /// The spool failed to make the group durable; its writes are pending again.
        case failed(Covered, any Error)
    }

    public let spool: Spool
    /// The newest write not yet in a group (tickets are ordered: waiting for the newest covers every
    /// earlier write), and how many writes are pending.
    public private(set) var latest: SpoolTicket?
    public private(set) var pending = 0
    private var inFlight: InFlight?

    private struct InFlight {
        var ticket: SpoolTicket?
        var covered: Covered
        var records: Int
        var started: ContinuousClock.Instant
        var sync: Task<Void, any Error>?
    }

    public init(spool: Spool) {
        self.spool = spool
    }

    /// Counts a write whose durability the next group waits for.
    public mutating func add(_ ticket: SpoolTicket) {
        latest = max(latest ?? ticket, ticket)
        pending += 1
    }

    /// Whether a group is being synced.
    public var isSyncing: Bool { inFlight != nil }

    /// Whether ``finish()`` would return at once (no group, or its sync is done or failed).
    public var isSettled: Bool { inFlight.map { $0.ticket.map(spool.isSettled) ?? true } ?? true }

    /// Starts syncing every pending write as one group covering `covered` (also when nothing is
    /// pending: then the group only carries `covered`). A group must not be in flight.
    public mutating func seal(covering covered: Covered) {
        precondition(inFlight == nil, "finish() the group in flight before sealing the next")
        let spool = spool
        inFlight = InFlight(ticket: latest, covered: covered, records: pending, started: .now,
                            sync: latest.map { ticket in Task { try await spool.waitDurable(ticket) } })
        latest = nil
        pending = 0
    }

    /// Lets the caller change what the group in flight covers (e.g. drop a revoked partition).
    public mutating func updateCovered(_ body: (inout Covered) -> Void) {
        guard inFlight != nil else { return }
        body(&inFlight!.covered)
    }

    /// Waits for the group in flight.
    public mutating func finish() async -> Outcome {
        guard let group = inFlight else { return .none }
        inFlight = nil
        do {
            try await group.sync?.value
        } catch {
            if let ticket = group.ticket { latest = max(latest ?? ticket, ticket) }
            pending += group.records
            return .failed(group.covered, error)
        }
        return .durable(group.covered, waited: group.sync == nil ? nil : group.started.duration(to: .now))
    }
}
