/// The batch sequence numbers missing from a session: its batches are numbered from 0 by the
/// snippet, so anything absent between 0 and the highest seq known (from the files read and from
/// the `segments` index) is a gap: the recording is incomplete there.
public struct SequenceGaps: Sendable, Equatable {
    /// Missing seqs as closed ranges, ascending.
    public var ranges: [ClosedRange<Int64>]

    public init(ranges: [ClosedRange<Int64>]) {
        self.ranges = ranges
    }

    /// Gaps of `seqs` (ascending, unique) between 0 and `expectedLast`.
    init(sortedUniqueSeqs seqs: some Sequence<Int64>, expectedLast: Int64) {
        var ranges: [ClosedRange<Int64>] = []
        var next: Int64 = 0
        for seq in seqs {
            if seq > next { ranges.append(next...(seq - 1)) }
            next = max(next, seq &+ 1)
        }
        if expectedLast >= next { ranges.append(next...expectedLast) }
        self.ranges = ranges
    }

    /// Builds the gaps from seqs seen in ascending order, one run of segments at a time.
    struct Builder: Sendable {
        private(set) var ranges: [ClosedRange<Int64>] = []
        private var next: Int64 = 0

        /// `seq` must not be below an earlier one; equal is fine (batches kept beside each other).
        mutating func add(_ seq: Int64) {
            if seq > next { ranges.append(next...(seq - 1)) }
            next = max(next, seq &+ 1)
        }

        /// The highest seq added (-1 before any).
        var highestSeen: Int64 { next - 1 }

        /// The gaps up to `expectedLast` (the highest seq the index knows of).
        func finish(expectedLast: Int64) -> SequenceGaps {
            var ranges = ranges
            if expectedLast >= next { ranges.append(next...expectedLast) }
            return SequenceGaps(ranges: ranges)
        }
    }

    public var isEmpty: Bool { ranges.isEmpty }

    /// Total number of missing seqs.
    public var missingCount: Int64 { ranges.reduce(0) { $0 + ($1.upperBound - $1.lowerBound + 1) } }

    /// `4-6,9` (at most `limit` ranges; `,...` marks that more follow; ASCII, as HTTP fields need).
    public func formatted(limit: Int = .max) -> String {
        var parts = ranges.prefix(limit).map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
        if ranges.count > limit { parts.append("...") }
        return parts.joined(separator: ",")
    }

    /// Parses ``formatted(limit:)`` output (without a `...`).
    public init?(header: String) {
        if header.isEmpty {
            self.init(ranges: [])
            return
        }
        var ranges: [ClosedRange<Int64>] = []
        for part in header.split(separator: ",") {
            let bounds = part.split(separator: "-")
            guard let low = bounds.first.flatMap({ Int64($0) }), let high = Int64(bounds.last ?? ""), bounds.count <= 2,
                  low <= high else { return nil }
            ranges.append(low...high)
        }
        self.init(ranges: ranges)
    }
}
