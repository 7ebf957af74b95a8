/// The batches one session has written to the spool: per seq, a digest of each distinct batch stored
/// under it. A batch whose bytes were already written under its seq is a redelivery (Kafka re-reads,
/// a client's retry) and is not written again; a batch with other bytes under a known seq (a copied
/// tab, a reset counter, another client) is a conflict and is kept beside the first.
///
/// Seqs cost 8 bytes each in one dense array around the first seq seen (it grows at either end by up
/// to ``maximumGap`` at a time); seqs far from it, and every further batch under a seq, go to a
/// dictionary that stays empty in the usual case.
/// Digests are 64-bit SipHash values with this process's random seed: they live in memory only, and
/// two different batches share one with a probability of 2⁻⁶⁴.
struct BatchDigests: Sendable {
    enum Match: Equatable {
        /// No batch under this seq yet.
        case new
        /// A batch with the same bytes is already stored under this seq.
        case identical
        /// Other bytes are stored under this seq.
        case conflicting
    }

    /// Seqs further than this beyond the dense array's end go to the dictionary.
    static let maximumGap = 64

    private var base = 0
    /// Digest of seq `base + i`; 0 means none.
    private var dense: [UInt64] = []
    private var sparse: [Int: [UInt64]] = [:]

    /// The digest of a batch's events bytes (never 0).
    static func digest(_ bytes: [UInt8]) -> UInt64 {
        var hasher = Hasher()
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        let value = UInt64(bitPattern: Int64(hasher.finalize()))
        return value == 0 ? 1 : value
    }

    func match(seq: Int, digest: UInt64) -> Match {
        let stored = denseDigest(seq)
        let extra = sparse[seq] ?? []
        if stored == nil, extra.isEmpty { return .new }
        return stored == digest || extra.contains(digest) ? .identical : .conflicting
    }

    /// Records a batch that ``match(seq:digest:)`` did not call identical.
    mutating func insert(seq: Int, digest: UInt64) {
        if denseDigest(seq) != nil || sparse[seq] != nil {
            sparse[seq, default: []].append(digest)
            return
        }
        if dense.isEmpty {
            base = seq
            dense = [digest]
            return
        }
        let offset = seq - base
        if offset >= 0, offset < dense.count {
            dense[offset] = digest
        } else if offset >= dense.count, offset - dense.count <= Self.maximumGap {
            dense.append(contentsOf: repeatElement(0, count: offset - dense.count))
            dense.append(digest)
        } else if offset < 0, -offset <= Self.maximumGap {
            // An earlier seq arriving late (seldom): the array grows at the front.
            dense.insert(contentsOf: repeatElement(0, count: -offset), at: 0)
            dense[0] = digest
            base = seq
        } else {
            sparse[seq, default: []].append(digest)
        }
    }

    private func denseDigest(_ seq: Int) -> UInt64? {
        let offset = seq - base
        guard offset >= 0, offset < dense.count, dense[offset] != 0 else { return nil }
        return dense[offset]
    }

    /// Seqs held in the dictionary (for tests: in-order seqs should need none).
    var sparseCount: Int { sparse.count }
}
