import Foundation
import Gzip
import Testing
import TestSupport

extension GzipTests {
    @Suite struct CompressorReuseTests {
        /// One compressor, three writers in turn (two files, one of them reopened): every file holds
        /// exactly its bytes, in valid gzip members `gzip -t` accepts — also after a writer failed.
        @Test func oneCompressorServesWriterAfterWriter() throws {
            let directory = try Support.temporaryDirectory()
            defer { Support.cleanup(directory) }
            let a = directory.appendingPathComponent("a.gz").path, b = directory.appendingPathComponent("b.gz").path
            let fixtures = try Support.fixtureFiles()
            let first = Array(fixtures[0].prefix(300_000)), second = Support.randomBytes(200_000, seed: 9)
            let third = Array(fixtures[fixtures.count - 1].prefix(100_000))
            let compressor = try GzipCompressor(level: 6, bufferSize: 4096)

            let writerA = try GzipFileWriter(path: a, compressor: compressor)
            try writerA.write(first)
            try writerA.finish()
            let writerB = try GzipFileWriter(path: b, compressor: compressor)
            try writerB.write(Array(second.prefix(50_000)))
            try writerB.flush()
            try writerB.write(Array(second.dropFirst(50_000)))
            try writerB.finish()
            #expect(throws: GzipError.self) { try writerA.write([1]) }  // a finished writer stays finished
            let writerA2 = try GzipFileWriter(path: a, compressor: compressor)
            try writerA2.write(third)
            try writerA2.finish()

            #expect(try Support.readAll(a) == first + third)
            #expect(try Support.readAll(b) == second)
            try Support.run("gzip -t '\(a)' '\(b)'")

            // A writer whose file cannot be opened leaves the compressor usable.
            #expect(throws: (any Error).self) { try GzipFileWriter(path: directory.path + "/missing/c.gz", compressor: compressor) }
            let writerB2 = try GzipFileWriter(path: b, compressor: compressor)
            try writerB2.write(first)
            try writerB2.finish()
            #expect(try Support.readAll(b) == second + first)
        }
    }
}
