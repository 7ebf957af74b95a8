/// A session's segments cut into runs that can be played one after another.
///
/// Segments come ordered by their first seq (the `segments` index). A segment whose first seq is
/// at or below the highest last seq seen so far in the run overlaps it (a batch redelivered after a
/// crash, a Processor that took over a partition, a session written by two Processors): its batches
/// have to be merged with the run's and identical copies left out, so it joins the run. A segment
/// that starts above the run's range starts a new run, which no batch of the earlier runs can
/// precede or duplicate. Each run is played as soon as its own segments are read.
struct SegmentGroups: Sendable, Equatable {
    /// Indices into the segment list, each run in order.
    var runs: [Range<Int>]

    init(_ segments: [SegmentRecord]) {
        var runs: [Range<Int>] = []
        var start = 0
        var highest = Int64.min
        for (index, segment) in segments.enumerated() {
            if index > start, segment.firstSeq > highest {
                runs.append(start..<index)
                start = index
            }
            highest = max(highest, segment.lastSeq)
        }
        if start < segments.count { runs.append(start..<segments.count) }
        self.runs = runs
    }

    /// Whether `run` plays as it decompresses: one segment whose lines the Uploader wrote in
    /// ascending seq order (`segments.ordered`). Any other run is read whole and sorted first.
    static func playsLive(_ run: Range<Int>, of segments: [SegmentRecord]) -> Bool {
        run.count == 1 && segments[run.lowerBound].ordered
    }

    /// The first run's segment, when that run plays as it decompresses.
    static func liveFirstSegment(of segments: [SegmentRecord]) -> SegmentRecord? {
        guard let first = SegmentGroups(segments).runs.first, playsLive(first, of: segments) else { return nil }
        return segments[first.lowerBound]
    }
}
