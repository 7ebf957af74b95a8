import Core
import Gzip

/// Segment file bytes as the spool writes them: one gzip member per writer, a `Z_SYNC_FLUSH` after
/// each batch's line (``GzipFileWriter/flush()``), the trailer only when the writer finished.
enum Segments {
    static func member(lines: [[UInt8]], finish: Bool) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let deflater = GzipDeflater()
        for line in lines {
            try deflater.compress(line, flush: true) { bytes.append(contentsOf: $0) }
        }
        if finish {
            try deflater.finish { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// The segment lines of up to `limit` batches of `size` events of `fixture`.
    static func lines(_ fixture: Fixture, size: Int, limit: Int) -> [[UInt8]] {
        fixture.batches(of: size, limit: limit).map { SegmentLine.encode(seq: $0.lowerBound, events: fixture.array($0)) }
    }
}
