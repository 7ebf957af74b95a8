/// A bounded set that forgets its least recently used members first (eviction in batches of a tenth,
/// so inserts stay amortised O(1)). Not thread-safe: callers hold it inside a lock.
struct LRUSet {
    private var members: [String: UInt64] = [:]
    private var tick: UInt64 = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    mutating func contains(_ member: String) -> Bool {
        guard members[member] != nil else { return false }
        tick &+= 1
        members[member] = tick
        return true
    }

    mutating func insert(_ member: String) {
        tick &+= 1
        members[member] = tick
        if members.count > capacity {
            let drop = members.count - (capacity - max(1, capacity / 10))
            for (key, _) in members.sorted(by: { $0.value < $1.value }).prefix(drop) { members[key] = nil }
        }
    }

    var count: Int { members.count }
}
