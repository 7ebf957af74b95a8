import Core
import Gzip

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `GzipFileReader` — how segment recovery and playback read spool files — over an arbitrary file,
/// then the recovered lines through `SegmentLine.decode`, as segment recovery does.
///
/// The file is read strictly, and in crash-recovery mode (`allowTruncatedTail`) with the smallest
/// and the default buffer. Recovery must not depend on the buffer size; it delivers a prefix of what
/// the strict read delivered before stopping, and it ends (cut tail, or refusal) the way the strict
/// read did. Only `corrupt`, `truncated` and `outputLimitExceeded` are refusals of file data.
public enum FileReaderTarget: FuzzTarget {
    public static let name = "filereader"

    static let file: ScratchFile = {
        let file = ScratchFile()
        atexit { FileReaderTarget.file.remove() }
        return file
    }()

    struct Outcome: Equatable {
        var output: [UInt8] = []
        var summary: GzipFileReader.Summary?
        var error: GzipError.Kind?

        static func == (a: Self, b: Self) -> Bool {
            a.summary == b.summary && a.error == b.error && ByteComparison.equal(a.output, b.output)
        }
    }

    public static func run(_ input: UnsafeRawBufferPointer) {
        file.write(input)
        // Odd lengths get a tight cap, so the cap is exercised as often as whole reads.
        let cap = input.count.isMultiple(of: 2) ? 1 << 20 : 2 * input.count
        let strict = read(cap: cap, bufferSize: 65_536, allowTruncatedTail: false)
        let recovered = read(cap: cap, bufferSize: 64, allowTruncatedTail: true)
        let recoveredLarge = read(cap: cap, bufferSize: 65_536, allowTruncatedTail: true)
        invariant(recovered == recoveredLarge, "recovery depends on the buffer size: \(describe(recovered)) vs \(describe(recoveredLarge))")

        if case .outputLimitExceeded? = strict.error {
            invariant(strict.output.count == cap, "the strict read stopped at \(strict.output.count) bytes, not at the \(cap)-byte cap")
            invariant(recovered.error == strict.error, "the strict read hit the cap, recovery: \(describe(recovered))")
            return
        }
        if let error = recovered.error {
            invariant(false, "recovery refused (\(error)) a file the strict read ended with \(describe(strict))")
        }
        guard let summary = recovered.summary else { return invariant(false, "recovery returned no summary") }
        invariant(summary.bytesDelivered == recovered.output.count, "summary says \(summary.bytesDelivered) bytes, delivered \(recovered.output.count)")
        invariant(summary.discardedTailBytes >= 0 && summary.discardedTailBytes <= Int64(input.count),
                  "discarded \(summary.discardedTailBytes) bytes of a \(input.count)-byte file")
        invariant(summary.tail == strict.error, "recovery cut a \(String(describing: summary.tail)) tail, the strict read ended with \(describe(strict))")
        invariant(summary.tail != nil || (summary.discardedTailBytes == 0 && ByteComparison.equal(recovered.output, strict.output)),
                  "a complete file was read differently: \(describe(recovered)) vs \(describe(strict))")
        invariant(ByteComparison.isPrefix(recovered.output, of: strict.output),
                  "recovery delivered bytes the strict read did not")

        for line in ByteComparison.lines(recovered.output) {
            guard let parsed = SegmentLine.decode(Array(line)) else { continue }
            invariant(parsed.eventsStart < parsed.eventsEnd && parsed.eventsEnd <= line.count
                      && line[line.startIndex + parsed.eventsStart] == UInt8(ascii: "[")
                      && line[line.startIndex + parsed.eventsEnd - 1] == UInt8(ascii: "]"),
                      "SegmentLine.decode gave events \(parsed.eventsStart)..<\(parsed.eventsEnd) in a \(line.count)-byte line")
        }
    }

    static func read(cap: Int, bufferSize: Int, allowTruncatedTail: Bool) -> Outcome {
        var outcome = Outcome()
        do {
            let reader = GzipFileReader(path: file.path, maxOutputBytes: cap, bufferSize: bufferSize, allowTruncatedTail: allowTruncatedTail)
            outcome.summary = try reader.read { piece in
                invariant(piece.count > 0 && piece.count <= bufferSize, "a piece of \(piece.count) bytes from a \(bufferSize)-byte buffer")
                outcome.output.append(contentsOf: piece)
            }
        } catch let error as GzipError {
            switch error.kind {
            case .corrupt, .truncated, .outputLimitExceeded: outcome.error = error.kind
            default: invariant(false, "refusal \(error) for file data")
            }
        } catch {
            invariant(false, "unexpected error \(error)")
        }
        invariant(outcome.output.count <= cap, "delivered \(outcome.output.count) bytes past the \(cap)-byte cap")
        return outcome
    }

    static func describe(_ outcome: Outcome) -> String {
        "\(outcome.output.count) bytes, " + (outcome.error.map { "refused: \($0)" } ?? "summary \(String(describing: outcome.summary))")
    }

    // MARK: seeds

    /// Segment files as the spool leaves them: finished, two members (a writer reopened), unfinished
    /// (a crash after a flush), torn inside the last line's data, and followed by zeros (a power loss).
    public static func seeds(from fixtures: [Fixture]) throws -> [Seed] {
        var seeds: [Seed] = []
        for fixture in fixtures.map({ $0.withoutEvents(longerThan: 8192) }) where !fixture.events.isEmpty {
            let lines = Segments.lines(fixture, size: 6, limit: 6)
            let half = lines.count / 2
            let complete = try Segments.member(lines: lines, finish: true)
            let first = try Segments.member(lines: Array(lines[..<max(half, 1)]), finish: true)
            let unfinished = try Segments.member(lines: Array(lines[half...]), finish: false)
            seeds.append(Seed("\(fixture.name)-complete", complete))
            seeds.append(Seed("\(fixture.name)-members", first + (try Segments.member(lines: Array(lines[half...]), finish: true))))
            seeds.append(Seed("\(fixture.name)-unfinished", first + unfinished))
            seeds.append(Seed("\(fixture.name)-torn", first + unfinished.dropLast(min(9, unfinished.count / 2))))
            seeds.append(Seed("\(fixture.name)-zeros", complete + [UInt8](repeating: 0, count: 512)))
        }
        return seeds
    }
}
