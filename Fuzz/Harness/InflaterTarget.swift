import Gzip

/// `GzipInflater` — the Collector's decoder of `Content-Encoding: gzip` bodies — over arbitrary bytes.
///
/// Each input is decoded twice: whole, with the default output buffer; and fed in pieces of varying
/// sizes (1, 2, 5, … bytes) with the smallest buffer. Both must deliver the same bytes and end the same
/// way. The output cap must hold exactly, the only refusals are `corrupt`, `truncated` and
/// `outputLimitExceeded`, and a refusal must be sticky.
public enum InflaterTarget: FuzzTarget {
    public static let name = "inflater"

    struct Outcome: Equatable {
        var output: [UInt8] = []
        var error: GzipError.Kind?

        static func == (a: Self, b: Self) -> Bool { a.error == b.error && ByteComparison.equal(a.output, b.output) }
    }

    static let pieceSizes = [1, 2, 5, 11, 64, 333, 4096]

    public static func run(_ input: UnsafeRawBufferPointer) {
        // Odd lengths get a tight cap, so the cap's exact delivery is exercised as often as whole decodes.
        let cap = input.count.isMultiple(of: 2) ? 1 << 20 : 2 * input.count
        let whole = decode(input, cap: cap, pieces: [input.count], bufferSize: 65_536)
        var pieces: [Int] = []
        var total = 0
        while total < input.count {
            let size = min(pieceSizes[pieces.count % pieceSizes.count], input.count - total)
            pieces.append(size)
            total += size
        }
        let split = decode(input, cap: cap, pieces: pieces, bufferSize: 64)
        invariant(whole == split, "whole input gave \(whole.output.count) bytes and \(String(describing: whole.error)), pieces gave \(split.output.count) bytes and \(String(describing: split.error))")
    }

    static func decode(_ input: UnsafeRawBufferPointer, cap: Int, pieces: [Int], bufferSize: Int) -> Outcome {
        let inflater = GzipInflater(maxOutputBytes: cap, bufferSize: bufferSize)
        var outcome = Outcome()
        var offset = 0
        var finishing = false
        do {
            for size in pieces {
                try inflater.decompress(UnsafeRawBufferPointer(rebasing: input[offset..<offset + size])) { piece in
                    invariant(piece.count > 0 && piece.count <= bufferSize, "a piece of \(piece.count) bytes from a \(bufferSize)-byte buffer")
                    outcome.output.append(contentsOf: piece)
                }
                offset += size
            }
            finishing = true
            try inflater.finish()
        } catch let error as GzipError {
            outcome.error = error.kind
        } catch {
            invariant(false, "unexpected error \(error)")
        }
        invariant(outcome.output.count == inflater.totalOut, "delivered \(outcome.output.count) bytes, totalOut says \(inflater.totalOut)")
        invariant(outcome.output.count <= cap, "delivered \(outcome.output.count) bytes past the \(cap)-byte cap")
        switch outcome.error {
        case nil:
            invariant(inflater.totalIn == input.count, "a complete decode consumed \(inflater.totalIn) of \(input.count) bytes")
        case .truncated?:
            invariant(finishing, "truncated before the end of input")
        case .corrupt?:
            invariant(!finishing, "corrupt found by finish()")
        case .outputLimitExceeded(let limit)?:
            invariant(limit == cap && outcome.output.count == cap, "the cap stopped at \(outcome.output.count) bytes, not at exactly \(cap)")
        case let other?:
            invariant(false, "refusal \(other) for input data")
        }
        if let kind = outcome.error {
            // Sticky: a refusal from decompress is rethrown by every later call; after finish() (which
            // reports truncation) the inflater is closed and finish() repeats its answer.
            if !finishing {
                expect(kind) { try inflater.decompress([0x1F, 0x8B]) { _ in invariant(false, "output after a refusal") } }
            }
            expect(kind) { try inflater.finish() }
        }
        return outcome
    }

    private static func expect(_ kind: GzipError.Kind, _ call: () throws -> Void) {
        do {
            try call()
            invariant(false, "the inflater went on after \(kind)")
        } catch let error as GzipError {
            invariant(error.kind == kind, "the refusal changed from \(kind) to \(error.kind)")
        } catch {
            invariant(false, "unexpected error \(error)")
        }
    }

    // MARK: seeds

    /// Gzip of fixture bodies at several levels, several members in one stream, sync-flushed members (as
    /// the spool writes them), an empty member, and zlib-wrapped input (also accepted).
    public static func seeds(from fixtures: [Fixture]) throws -> [Seed] {
        var seeds: [Seed] = []
        for fixture in fixtures {
            let all = EnvelopeTarget.body(fixture.array(0..<fixture.events.count), seq: 0)
            seeds.append(Seed("\(fixture.name)-all", try Gzip.compress(all)))
            let batches = fixture.batches(of: 8, limit: 4).map { EnvelopeTarget.body(fixture.array($0), seq: $0.lowerBound) }
            for (batch, level) in zip(batches, [0, 1, 6, 9] as [Int32]) {
                seeds.append(Seed("\(fixture.name)-level\(level)", try Gzip.compress(batch, level: level)))
            }
            seeds.append(Seed("\(fixture.name)-members", try batches.flatMap { try Gzip.compress($0) }))
            seeds.append(Seed("\(fixture.name)-flushed", try Segments.member(lines: batches, finish: true)))
        }
        seeds.append(Seed("empty-member", try Gzip.compress([])))
        // zlib (RFC 1950) of `{"key":"pk_abcdefgh"}`, level 9.
        seeds.append(Seed("zlib", [0x78, 0xDA, 0xAB, 0x56, 0xCA, 0x4E, 0xAD, 0x54, 0xB2, 0x52, 0x2A, 0xC8, 0x8E, 0x4F, 0x4C,
                                   0x4A, 0x4E, 0x49, 0x4D, 0x4B, 0xCF, 0x50, 0xAA, 0x05, 0x00, 0x4F, 0x14, 0x07, 0x62]))
        return seeds
    }
}
