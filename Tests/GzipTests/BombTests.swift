import Foundation
import Gzip
import Testing
import TestSupport

extension GzipTests {
    /// 1 GiB of zeros compressed to ~1 MiB: the reader and the inflater stop at a 16 MiB cap, deliver
    /// no more than the cap, and never hold more than a buffer's worth.
    @Suite struct Bomb {
        static let cap = 16 << 20

        /// Builds the bomb file by streaming 1 GiB of zeros through GzipDeflater.
        static func makeBomb(at url: URL) throws {
            let zeros = [UInt8](repeating: 0, count: 1 << 20)
            let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            try #require(fd >= 0)
            defer { close(fd) }
            let deflater = GzipDeflater(level: 1)
            let sink: (UnsafeRawBufferPointer) throws -> Void = { piece in
                #expect(write(fd, piece.baseAddress, piece.count) == piece.count)
            }
            try zeros.withUnsafeBytes { chunk in
                for _ in 0..<1024 { try deflater.compress(chunk, into: sink) }
            }
            try deflater.finish(into: sink)
        }

        @Test func readerAndInflaterStopAtTheCap() throws {
            let dir = try Support.temporaryDirectory()
            defer { Support.cleanup(dir) }
            let bomb = dir.appendingPathComponent("bomb.gz")
            try Self.makeBomb(at: bomb)
            let compressed = try Support.fileBytes(bomb)
            #expect(compressed.count < 8 << 20, "the bomb should be small: \(compressed.count) bytes")
            // Sanity: the bomb really is 1 GiB (gzip's trailer stores the size mod 2^32, which is 0 here,
            // so ask gzip itself to count).
            let size = try Support.run("gzip -dc '\(bomb.path)' | wc -c").trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(size == "\(1 << 30)")

            // Peak RSS is process-wide and other test targets may run in parallel in the same process,
            // so a measurement that other work could have inflated is retried (up to 3 times); a real
            // leak (buffering the output) exceeds the bound every time.
            var growths: [Int] = []
            for _ in 0..<3 {
                let baseline = ProcessMemory.residentBytes()
                ProcessMemory.resetPeak()

                // Reader.
                var delivered = 0
                var allZero = true
                let kind = Support.kind {
                    try GzipFileReader(path: bomb.path, maxOutputBytes: Self.cap).read { piece in
                        delivered += piece.count
                        if piece.contains(where: { $0 != 0 }) { allZero = false }
                    }
                }
                #expect(kind == .outputLimitExceeded(limit: Self.cap))
                #expect(delivered == Self.cap)
                #expect(allZero)

                // Inflater, fed in 64 KiB slices of the in-memory bomb.
                let inflater = GzipInflater(maxOutputBytes: Self.cap)
                var inflated = 0
                let inflaterKind = Support.kind {
                    try compressed.withUnsafeBytes { all in
                        var offset = 0
                        while offset < all.count {
                            let end = min(all.count, offset + 65_536)
                            try inflater.decompress(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { inflated += $0.count }
                            offset = end
                        }
                        try inflater.finish()
                    }
                }
                #expect(inflaterKind == .outputLimitExceeded(limit: Self.cap))
                #expect(inflated == Self.cap)
                #expect(inflater.totalOut == Self.cap)
                // The error is sticky.
                #expect(Support.kind { try inflater.decompress([0]) { _ in } } == .outputLimitExceeded(limit: Self.cap))

                // Whole-buffer convenience has the same cap (it holds the capped output, nothing more).
                #expect(Support.kind { _ = try Gzip.decompress(compressed, maxOutputBytes: 1 << 20) } == .outputLimitExceeded(limit: 1 << 20))

                growths.append(ProcessMemory.peakResidentBytes() - baseline)
                if growths.last! < 32 << 20 { break }
            }
            #expect(growths.min()! < 32 << 20, "peak RSS grew by \(growths.map { $0 >> 20 }) MiB while decompressing a gzip bomb")

            // The message is actionable.
            do {
                _ = try Gzip.decompress(compressed, maxOutputBytes: 16_777_216)
                Issue.record("expected the 16 MiB cap to be exceeded")
            } catch let error as GzipError {
                #expect(error.message.contains("exceeds the 16777216-byte limit"))
                #expect(error.code == "decompressed_too_large")
            }
        }

        @Test func capIsExactAtTheBoundary() throws {
            let data = Support.randomBytes(100_000, seed: 11)
            let compressed = try Gzip.compress(data)
            try Support.expectSame(Gzip.decompress(compressed, maxOutputBytes: data.count), data)
            #expect(Support.kind { _ = try Gzip.decompress(compressed, maxOutputBytes: data.count - 1) } == .outputLimitExceeded(limit: data.count - 1))
            #expect(Support.kind { _ = try Gzip.decompress(compressed, maxOutputBytes: 0) } == .outputLimitExceeded(limit: 0))
            #expect(try Gzip.decompress(Gzip.compress([]), maxOutputBytes: 0) == [])
        }
    }
}
