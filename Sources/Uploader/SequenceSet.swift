/// A set of sequence numbers stored as sorted, disjoint ranges: in-order appends cost O(1) time and
/// no memory, so de-duplication state stays tiny however long a session runs.
struct SequenceSet: Sendable {
    private var ranges: [ClosedRange<Int>] = []

    func contains(_ value: Int) -> Bool {
        guard let i = indexOfRange(atOrBefore: value) else { return false }
        return ranges[i].contains(value)
    }

    mutating func insert(_ value: Int) {
        if let last = ranges.last, value > last.upperBound {
            if value == last.upperBound + 1 { ranges[ranges.count - 1] = last.lowerBound...value } else { ranges.append(value...value) }
            return
        }
        if ranges.isEmpty { ranges.append(value...value); return }
        let before = indexOfRange(atOrBefore: value)
        if let i = before, ranges[i].contains(value) { return }
        let insertAt = (before ?? -1) + 1
        var lower = value, upper = value
        var removeFrom = insertAt, removeTo = insertAt
        if let i = before, ranges[i].upperBound + 1 == value { lower = ranges[i].lowerBound; removeFrom = i }
        if insertAt < ranges.count, ranges[insertAt].lowerBound - 1 == value { upper = ranges[insertAt].upperBound; removeTo = insertAt + 1 }
        ranges.replaceSubrange(removeFrom..<removeTo, with: [lower...upper])
    }

    /// The index of the last range whose lower bound is ≤ `value`.
    private func indexOfRange(atOrBefore value: Int) -> Int? {
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].lowerBound <= value { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }

    var rangeCount: Int { ranges.count }
}
