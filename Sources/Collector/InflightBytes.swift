import Synchronization

/// The batch bytes one Collector process holds at once: bodies being read, decompressed, validated
/// and published, counted from their declared length (and as a gzip body inflates beyond it) until
/// the batch is answered. A request that would pass `limit` is refused with 503 and `Retry-After`
/// before its body is read, so many large batches at once cannot exhaust memory.
public final class InflightBytes: Sendable {
    public let limit: Int
    private let held = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = limit
    }

    /// Bytes held now.
    public var current: Int { held.load(ordering: .relaxed) }

    /// Takes `bytes` from the budget; false (and nothing taken) when that would pass the limit.
    func reserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        var now = held.load(ordering: .relaxed)
        while true {
            guard now + bytes <= limit else { return false }
            let (exchanged, original) = held.compareExchange(expected: now, desired: now + bytes, ordering: .relaxed)
            if exchanged { return true }
            now = original
        }
    }

    func release(_ bytes: Int) {
        if bytes > 0 { held.subtract(bytes, ordering: .relaxed) }
    }
}

/// One request's share of ``InflightBytes``: grows as its body does, returned when the request ends.
final class InflightReservation {
    let budget: InflightBytes
    private(set) var bytes = 0

    init(budget: InflightBytes) {
        self.budget = budget
    }

    /// Grows the reservation to `total` bytes; false when the budget cannot cover it.
    func grow(to total: Int) -> Bool {
        guard total > bytes else { return true }
        guard budget.reserve(total - bytes) else { return false }
        bytes = total
        return true
    }

    deinit { budget.release(bytes) }
}
