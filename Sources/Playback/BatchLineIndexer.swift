import Core
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where one batch's events are in a decompressed segment file: the bytes between the `[` and `]`
/// of its `events` array (length 0 for an empty array). 32 bytes per batch, the only per-batch
/// state a session stream keeps in memory.
struct BatchLocation: Sendable, Equatable {
    var seq: Int64
    var file: Int32
    var offset: Int64
    var length: Int64
}

/// Finds the batch lines (`{"seq":<n>,"events":[…]}\n`) in a stream of decompressed bytes and
/// records where each one's events are, without holding a line in memory: only its first
/// ``headCapacity`` and last ``tailCapacity`` bytes. Insignificant whitespace around the array is
/// tolerated; a line of another shape (or a final line without its newline) is counted in
/// ``skippedLines`` and left out.
struct BatchLineIndexer {
    static let headCapacity = 64
    static let tailCapacity = 16

    let file: Int32
    private(set) var locations: [BatchLocation] = []
    private(set) var skippedLines = 0
    private(set) var bytesSeen: Int64 = 0

    private var lineStart: Int64 = 0
    private var head: [UInt8] = []
    private var tail: [UInt8] = []

    init(file: Int32) {
        self.file = file
        head.reserveCapacity(Self.headCapacity)
        tail.reserveCapacity(Self.tailCapacity * 2)
    }

    /// Feeds the next decompressed bytes.
    mutating func consume(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var position = 0
        while position < bytes.count {
            let remaining = bytes.count - position
            let found = memchr(base + position, Int32(UInt8(ascii: "\n")), remaining)
            let end = found.map { base.distance(to: UnsafeRawPointer($0)) } ?? bytes.count
            append(UnsafeRawBufferPointer(rebasing: bytes[position..<end]))
            if found != nil {
                finishLine(endingAt: bytesSeen + Int64(end))
                position = end + 1
                lineStart = bytesSeen + Int64(position)
            } else {
                position = end
            }
        }
        bytesSeen += Int64(bytes.count)
    }

    /// The locations indexed since the last call (for a reader that plays lines as they decode).
    mutating func takeLocations() -> [BatchLocation] {
        defer { locations.removeAll(keepingCapacity: true) }
        return locations
    }

    /// The line still being decoded, once its head (`{"seq":<n>,"events":[`) is in: its seq, the
    /// offset of its events' first byte, and ``safeEnd``.
    ///
    /// The bytes from `contentOffset` up to `safeEnd` are events whatever the rest of the line turns
    /// out to be, *if* it turns out a batch line: its closing `]` is within its last
    /// ``tailCapacity`` bytes, which are not decoded yet. Should the line end up skipped, a reader
    /// that played that prefix has played part of a line that is not a batch.
    func openLine() -> (seq: Int64, contentOffset: Int64, safeEnd: Int64)? {
        guard lineStart < bytesSeen, let (seq, open) = SegmentLine.parseHead(head) else { return nil }
        return (seq, lineStart + Int64(open) + 1, bytesSeen - Int64(Self.tailCapacity))
    }

    /// Call at the end of the data: a last line without a newline is incomplete and skipped.
    mutating func finish() {
        if lineStart < bytesSeen { skippedLines += 1 }
        head.removeAll(keepingCapacity: true)
        tail.removeAll(keepingCapacity: true)
    }

    private mutating func append(_ piece: UnsafeRawBufferPointer) {
        guard piece.count > 0 else { return }
        if head.count < Self.headCapacity {
            head.append(contentsOf: piece.prefix(Self.headCapacity - head.count))
        }
        if piece.count >= Self.tailCapacity {
            tail.removeAll(keepingCapacity: true)
            tail.append(contentsOf: piece.suffix(Self.tailCapacity))
        } else {
            tail.append(contentsOf: piece)
            if tail.count > Self.tailCapacity { tail.removeFirst(tail.count - Self.tailCapacity) }
        }
    }

    /// `lineEnd` is the offset of the newline.
    private mutating func finishLine(endingAt lineEnd: Int64) {
        defer {
            head.removeAll(keepingCapacity: true)
            tail.removeAll(keepingCapacity: true)
        }
        let length = lineEnd - lineStart
        guard length > 0 else { return }  // blank line
        guard let (seq, open) = SegmentLine.parseHead(head), Int64(open) < length,
              let close = SegmentLine.closingBracket(tail, lineLength: length)
        else {
            skippedLines += 1
            return
        }
        // `close` is the offset of `]` from the line start; content is (open, close).
        let contentStart = Int64(open) + 1
        var contentLength = close - contentStart
        guard contentLength >= 0 else {
            skippedLines += 1
            return
        }
        if length <= Int64(head.count),
           head[Int(contentStart)..<Int(close)].allSatisfy(SegmentLine.isWhitespace) {
            contentLength = 0
        }
        locations.append(BatchLocation(seq: seq, file: file, offset: lineStart + contentStart, length: contentLength))
    }
}
