import Foundation
import Gzip
import Testing
import TestSupport

extension GzipTests {
    /// `flush()` makes everything written so far readable; a crashed writer's file is recovered up to
    /// its last flush point.
    @Suite struct Recovery {
        @Test func flushMakesEverythingReadable() throws {
            let dir = try Support.temporaryDirectory()
            defer { Support.cleanup(dir) }
            let path = dir.appendingPathComponent("live.gz").path
            let fixtures = try Support.fixtureFiles()

            let writer = try GzipFileWriter(path: path)
            var expected: [UInt8] = []
            for round in 0..<6 {
                let chunk = fixtures[round % fixtures.count] + Support.randomBytes(round * 20_000, seed: UInt64(round))
                try writer.write(chunk)
                expected += chunk
                try writer.flush()
                // An independent reader of the still-open file sees every byte written so far.
                var summary: GzipFileReader.Summary?
                var seen: [UInt8] = []
                summary = try GzipFileReader(path: path, allowTruncatedTail: true).read { seen.append(contentsOf: $0) }
                Support.expectSame(seen, expected, "after flush \(round)")
                #expect(summary?.tail == .truncated)
                #expect(summary?.discardedTailBytes == 0)
                #expect(writer.fileSize == Int64(try FileManager.default.attributesOfItem(atPath: path)[.size] as! UInt64))
                // zlib itself (Python) agrees that the flushed prefix is complete.
                let count = try Support.run(
                    "python3 -c 'import zlib,sys; d=zlib.decompressobj(31); sys.stdout.write(str(len(d.decompress(open(sys.argv[1],\"rb\").read()))))' '\(path)'")
                #expect(count == "\(expected.count)")
                // Without the option, the unfinished member is an error.
                #expect(Support.kind { _ = try Support.readAll(path) } == .truncated)
            }
            try writer.finish()
            try Support.expectSame(Support.readAll(path), expected)
        }

        /// Cuts a file written with known flush points at many lengths: the reader recovers exactly the
        /// data up to the last flush point wholly inside the cut, and never throws.
        @Test func truncatedTailRecoversUpToLastFlush() throws {
            let dir = try Support.temporaryDirectory()
            defer { Support.cleanup(dir) }
            let path = dir.appendingPathComponent("crashed.gz").path
            let fixtures = try Support.fixtureFiles()

            // (file offset after the flush point, uncompressed bytes before it)
            var points: [(offset: Int64, data: Int)] = [(0, 0)]
            var expected: [UInt8] = []

            // Member 1: finished.
            let first = try GzipFileWriter(path: path)
            try first.write(fixtures[0])
            expected += fixtures[0]
            try first.flush()
            points.append((first.fileSize, expected.count))
            try first.write(fixtures[1])
            expected += fixtures[1]
            try first.finish()
            points.append((first.fileSize, expected.count))

            // Member 2: flushed several times, then "crashes" with unflushed data partly on disk.
            let second = try GzipFileWriter(path: path, bufferSize: 4096)
            for (index, fixture) in fixtures.enumerated() {
                let piece = fixture + Support.randomBytes(3000 * index, seed: UInt64(index))
                try second.write(piece)
                expected += piece
                try second.flush()
                points.append((second.fileSize, expected.count))
            }
            try second.write(Support.randomBytes(50_000, seed: 99))  // more than the buffer: part reaches the file
            let crashedSize = second.fileSize
            #expect(crashedSize > points.last!.offset)
            // (the writer is dropped below without finish, like a crash)

            let full = try Support.fileBytes(URL(fileURLWithPath: path))
            #expect(Int64(full.count) == crashedSize)

            // The flush points themselves, one byte either side, and a deterministic sample in between.
            var lengths = Set<Int>()
            for point in points {
                for delta in -5...5 { lengths.insert(Int(point.offset) + delta) }
            }
            var rng = UInt64(12345)
            for _ in 0..<150 {
                rng = rng &* 6364136223846793005 &+ 1442695040888963407
                lengths.insert(Int(rng >> 33) % (full.count + 1))
            }
            let cutPath = dir.appendingPathComponent("cut.gz")
            for length in lengths.sorted() where length >= 0 && length <= full.count {
                try Support.write(Array(full[0..<length]), to: cutPath)
                let want = points.last { $0.offset <= Int64(length) }!.data
                var got: [UInt8] = []
                let summary = try GzipFileReader(path: cutPath.path, allowTruncatedTail: true).read { got.append(contentsOf: $0) }
                #expect(got.count == want, "cut at \(length)")
                Support.expectSame(got[...], expected[0..<min(want, expected.count)], "cut at \(length)")
                #expect(summary.bytesDelivered == got.count)
                let atMemberEnd = length == Int(points[2].offset) || length == 0
                #expect((summary.tail == nil) == atMemberEnd, "cut at \(length): \(summary)")
            }

            // A zero-filled tail (seen after power loss on some filesystems) is dropped too.
            try Support.write(Array(full[0..<Int(points[4].offset)]) + [UInt8](repeating: 0, count: 8192), to: cutPath)
            var got: [UInt8] = []
            let summary = try GzipFileReader(path: cutPath.path, allowTruncatedTail: true).read { got.append(contentsOf: $0) }
            Support.expectSame(got[...], expected[0..<points[4].data])
            #expect(summary.tail == .corrupt)
            #expect(summary.discardedTailBytes == 8192)
            #expect(Support.kind { _ = try Support.readAll(cutPath.path) } == .corrupt)

            // The original crashed file: everything up to the last flush.
            let recovered = try Support.readAll(path, allowTruncatedTail: true)
            #expect(recovered.count == points.last!.data)
            _ = second  // keep the writer alive until here
        }

        @Test func deflaterFlushMakesPrefixDecodable() throws {
            let deflater = GzipDeflater()
            var compressed: [UInt8] = []
            let data = try Support.fixtureFiles()[0]
            try deflater.compress(data, flush: true) { compressed.append(contentsOf: $0) }
            let inflater = GzipInflater()
            var out: [UInt8] = []
            try inflater.decompress(compressed) { out.append(contentsOf: $0) }
            Support.expectSame(out, data)
            #expect(Support.kind { try inflater.finish() } == .truncated)
        }
    }
}
