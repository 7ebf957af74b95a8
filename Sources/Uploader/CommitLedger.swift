/// Where a spooled batch came from: a partition of a log (a Kafka topic partition; the Uploader does
/// not depend on Kafka, so it has its own small type).
public struct SpoolSource: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)/\(partition)" }
}

/// A batch's position in its log.
public struct SpoolOrigin: Hashable, Sendable {
    public var source: SpoolSource
    public var offset: Int64

    public init(source: SpoolSource, offset: Int64) {
        self.source = source
        self.offset = offset
    }
}

/// Which log offsets are held by segments not yet in S3 (commit after S3).
///
/// Each segment holds, per source, the lowest offset it contains; the ledger keeps those holds
/// sorted per source, so "the lowest offset not yet uploaded" is the first element. A source's
/// committed offset may move up to (not past) that offset. Holds are few (one per segment and
/// source), so sorted arrays are enough.
struct CommitLedger {
    private var holds: [SpoolSource: [Int64]] = [:]
    /// When each source's oldest hold was taken (for the oldest-unuploaded-age gauge), per offset.
    private var heldAt: [SpoolSource: [Int64: ContinuousClock.Instant]] = [:]

    mutating func hold(_ source: SpoolSource, _ offset: Int64, at instant: ContinuousClock.Instant) {
        var offsets = holds[source] ?? []
        let index = offsets.partitioningIndex { $0 >= offset }
        offsets.insert(offset, at: index)
        holds[source] = offsets
        if heldAt[source]?[offset] == nil { heldAt[source, default: [:]][offset] = instant }
    }

    mutating func release(_ source: SpoolSource, _ offset: Int64) {
        guard var offsets = holds[source] else { return }
        let index = offsets.partitioningIndex { $0 >= offset }
        guard index < offsets.count, offsets[index] == offset else { return }
        offsets.remove(at: index)
        if !offsets.contains(offset) { heldAt[source]?[offset] = nil }
        if offsets.isEmpty {
            holds[source] = nil
            heldAt[source] = nil
        } else {
            holds[source] = offsets
        }
    }

    /// The lowest held offset of `source` that is ≥ `floor` (holds below a floor are left from an
    /// earlier assignment of the partition whose records another owner has committed since).
    func lowest(_ source: SpoolSource, atLeast floor: Int64) -> Int64? {
        guard let offsets = holds[source] else { return nil }
        let index = offsets.partitioningIndex { $0 >= floor }
        return index < offsets.count ? offsets[index] : nil
    }

    /// When the lowest hold ≥ `floor` of `source` was taken.
    func oldest(_ source: SpoolSource, atLeast floor: Int64) -> ContinuousClock.Instant? {
        guard let offset = lowest(source, atLeast: floor) else { return nil }
        return heldAt[source]?[offset]
    }

    var sources: [SpoolSource] { Array(holds.keys) }

    var count: Int { holds.values.reduce(0) { $0 + $1.count } }
}

extension Array {
    /// The first index whose element satisfies `belongsInSecondPartition` (which must be monotonic).
    func partitioningIndex(where belongsInSecondPartition: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongsInSecondPartition(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
