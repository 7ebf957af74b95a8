import Foundation
import Gzip
import Testing
import TestSupport

extension GzipTests {
    /// Files written by several writers in turn (one gzip member each) read identically with
    /// `gzip -dc`, Python's `gzip` module and our own reader.
    @Suite struct Interop {
        @Test func multiMemberFileMatchesGzipAndPython() throws {
            let dir = try Support.temporaryDirectory()
            defer { Support.cleanup(dir) }
            let path = dir.appendingPathComponent("spool.gz").path

            let fixtures = try Support.fixtureFiles()
            var expected: [UInt8] = []
            var previousSize: Int64 = 0
            // Four writers in turn on the same path; each appends a member, flushing in between.
            for round in 0..<4 {
                let writer = try GzipFileWriter(path: path, level: round == 3 ? 9 : 6, bufferSize: round == 1 ? 4096 : 65_536)
                #expect(writer.fileSize == previousSize, "a reopened writer must count earlier members")
                var written: Int64 = 0
                for (index, fixture) in fixtures.enumerated() {
                    try writer.write(fixture)
                    expected += fixture
                    written += Int64(fixture.count)
                    let noise = Support.randomBytes(1000 + round * 7919 + index * 131, seed: UInt64(round * 100 + index))
                    try writer.write(noise)
                    expected += noise
                    written += Int64(noise.count)
                    if index % 2 == 0 { try writer.flush() }
                }
                // A large write spanning many output buffers.
                let big = Support.randomBytes(300_000, seed: UInt64(999 + round))
                try big.withUnsafeBytes { try writer.write($0) }
                expected += big
                written += Int64(big.count)
                try writer.flush()
                try writer.sync()
                #expect(writer.uncompressedBytesWritten == written)
                try writer.finish()
                try writer.finish()  // idempotent
                try writer.sync()    // after finish: syncs the finished file
                let onDisk = Int64(try FileManager.default.attributesOfItem(atPath: path)[.size] as! UInt64)
                #expect(writer.fileSize == onDisk)
                previousSize = onDisk
            }

            let expectedPath = dir.appendingPathComponent("expected.bin")
            try Support.write(expected, to: expectedPath)
            let expectedHash = try Support.run("sha256sum < '\(expectedPath.path)' | cut -d' ' -f1")

            // Four members, as `gzip -l`-independent check: count members by decoding with Python.
            let gzipHash = try Support.run("gzip -dc '\(path)' | sha256sum | cut -d' ' -f1")
            let pythonHash = try Support.run(
                "python3 -c 'import gzip,sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())' '\(path)' | sha256sum | cut -d' ' -f1")
            #expect(gzipHash == expectedHash)
            #expect(pythonHash == expectedHash)
            try Support.run("gzip -t '\(path)'")

            let ours = try Support.readAll(path)
            #expect(ours.count == expected.count)
            Support.expectSame(ours, expected)
            // Small buffers exercise member boundaries falling anywhere inside a read.
            try Support.expectSame(Support.readAll(path, bufferSize: 100), expected)
            // The recovery mode reads a complete file completely.
            var summary: GzipFileReader.Summary?
            var recovered: [UInt8] = []
            summary = try GzipFileReader(path: path, allowTruncatedTail: true).read { recovered.append(contentsOf: $0) }
            Support.expectSame(recovered, expected)
            #expect(summary == GzipFileReader.Summary(bytesDelivered: expected.count, discardedTailBytes: 0, tail: nil))
        }

        @Test func externalGzipOutputIsReadable() throws {
            let dir = try Support.temporaryDirectory()
            defer { Support.cleanup(dir) }
            let raw = dir.appendingPathComponent("raw.bin")
            let data = try Support.fixtureFiles().reduce([], +) + Support.randomBytes(70_000, seed: 7)
            try Support.write(data, to: raw)
            // Two members from gzip(1) with a file name in the header (FNAME), concatenated.
            try Support.run("cd '\(dir.path)' && gzip -k -9 raw.bin && cat raw.bin.gz raw.bin.gz > two.gz")
            try Support.expectSame(Support.readAll(dir.appendingPathComponent("two.gz").path), data + data)
            try Support.expectSame(Gzip.decompress(Support.fileBytes(dir.appendingPathComponent("raw.bin.gz"))), data)
        }

        @Test func deflaterOutputDecompressesWithGzip() throws {
            let dir = try Support.temporaryDirectory()
            defer { Support.cleanup(dir) }
            // Fixtures alone fit in one deflate block; the random tail forces output during compress().
            let text = try Support.fixtureFiles().reduce([], +)
            let data = text + Support.randomBytes(100_000, seed: 5) + text
            var compressed: [UInt8] = []
            var pieces = 0
            let deflater = GzipDeflater(level: 6, bufferSize: 1024)
            // Feed in uneven slices; every sink piece respects the buffer bound.
            var offset = 0
            var step = 1
            while offset < data.count {
                let end = min(data.count, offset + step)
                try data[offset..<end].withUnsafeBytes { slice in
                    try deflater.compress(slice) { piece in
                        #expect(piece.count <= 1024 && piece.count > 0)
                        pieces += 1
                        compressed.append(contentsOf: piece)
                    }
                }
                offset = end
                step = step * 3 + 1
            }
            try deflater.finish { compressed.append(contentsOf: $0) }
            try deflater.finish { _ in Issue.record("finish must be idempotent") }
            #expect(pieces > 1)
            #expect(compressed.count < data.count / 2)
            #expect(Support.kind { try deflater.compress([1, 2, 3]) { _ in } } == .closed)

            let file = dir.appendingPathComponent("d.gz")
            try Support.write(compressed, to: file)
            try Support.write(data, to: dir.appendingPathComponent("expected"))
            try Support.run("gzip -dc '\(file.path)' | cmp - '\(dir.appendingPathComponent("expected").path)'")
        }

        @Test func wholeBufferRoundTrips() throws {
            for input in [[], [0x41], Support.randomBytes(200_000, seed: 3), [UInt8](repeating: 7, count: 1 << 20)] {
                for level: Int32 in [0, 1, 6, 9] {
                    let compressed = try Gzip.compress(input, level: level)
                    #expect(compressed.prefix(2) == [0x1F, 0x8B])
                    try Support.expectSame(Gzip.decompress(compressed), input, "level \(level)")
                }
            }
            // Concatenated members decode as one stream, including an empty member in between.
            let a = Support.randomBytes(5000, seed: 1), b = Array("hello".utf8)
            let joined = try Gzip.compress(a) + Gzip.compress([]) + Gzip.compress(b)
            try Support.expectSame(Gzip.decompress(joined), a + b)
            #expect(try Gzip.decompress([]) == [])
        }

        @Test func invalidLevelIsReported() throws {
            #expect(Support.kind { _ = try Gzip.compress([1], level: 42) } == .zlib(status: -2))
        }
    }
}
