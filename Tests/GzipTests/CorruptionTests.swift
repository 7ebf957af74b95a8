import Foundation
import Gzip
import Testing
import TestSupport

extension GzipTests {
    /// Damaged and cut-off input.
    @Suite struct Corruption {
        static func sample() throws -> (plain: [UInt8], compressed: [UInt8]) {
            let plain = try Support.fixtureFiles().reduce([], +)
            return (plain, try Gzip.compress(plain))
        }

        @Test func notGzipIsCorrupt() throws {
            #expect(Support.kind { _ = try Gzip.decompress(Array("{\"events\": []}".utf8)) } == .corrupt)
            // Valid member followed by garbage.
            let (_, compressed) = try Self.sample()
            #expect(Support.kind { _ = try Gzip.decompress(compressed + Array("garbage".utf8)) } == .corrupt)
        }

        @Test func damagedBytesAreCorrupt() throws {
            let (_, compressed) = try Self.sample()
            // Damage the deflate data in several places, the CRC and the length trailer.
            for position in [10, 200, compressed.count / 2, compressed.count - 8, compressed.count - 2] {
                var damaged = compressed
                damaged[position] ^= 0x55
                #expect(Support.kind { _ = try Gzip.decompress(damaged) } == .corrupt, "damage at \(position)")
            }
            var badMagic = compressed
            badMagic[1] = 0x00
            #expect(Support.kind { _ = try Gzip.decompress(badMagic) } == .corrupt)

            let dir = try Support.temporaryDirectory()
            defer { Support.cleanup(dir) }
            var damaged = compressed
            damaged[compressed.count / 3] ^= 0xFF
            let file = dir.appendingPathComponent("damaged.gz")
            try Support.write(damaged, to: file)
            do {
                _ = try Support.readAll(file.path)
                Issue.record("expected .corrupt")
            } catch let error as GzipError {
                #expect(error.kind == .corrupt)
                #expect(error.code == "gzip_corrupt")
                #expect(error.message.contains(file.path))
            }
        }

        @Test func cutOffInputIsTruncated() throws {
            let (_, compressed) = try Self.sample()
            for length in [1, 5, 10, 11, 100, compressed.count / 2, compressed.count - 8, compressed.count - 1] {
                let cut = Array(compressed[0..<length])
                #expect(Support.kind { _ = try Gzip.decompress(cut) } == .truncated, "cut at \(length)")
            }
            // The second member cut off.
            let two = compressed + compressed
            #expect(Support.kind { _ = try Gzip.decompress(Array(two.dropLast(3))) } == .truncated)

            let dir = try Support.temporaryDirectory()
            defer { Support.cleanup(dir) }
            let file = dir.appendingPathComponent("cut.gz")
            try Support.write(Array(compressed.dropLast(100)), to: file)
            #expect(Support.kind { _ = try Support.readAll(file.path) } == .truncated)
        }

        @Test func missingFileIsAnIOError() throws {
            let kind = Support.kind { _ = try Support.readAll("/nonexistent/dir/x.gz") }
            #expect(kind == .io(errno: ENOENT))
            #expect(Support.kind { _ = try GzipFileWriter(path: "/nonexistent/dir/x.gz") } == .io(errno: ENOENT))
        }

        @Test func writerAfterFinishIsClosed() throws {
            let dir = try Support.temporaryDirectory()
            defer { Support.cleanup(dir) }
            let writer = try GzipFileWriter(path: dir.appendingPathComponent("w.gz").path)
            try writer.write([1, 2, 3])
            try writer.finish()
            #expect(Support.kind { try writer.write([4]) } == .closed)
            #expect(Support.kind { try writer.flush() } == .closed)
        }
    }
}
