import Foundation
import Gzip
import Testing
import TestSupport
@testable import Uploader

extension UploaderTests {
    @Suite struct SpoolTests {
        @Test(.timeLimit(.minutes(2)))
        func tenThousandConcurrentSessionsKeepTheirOrderWithFlatMemory() async throws {
            let directory = try Fixture.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            _ = Fixture.blobs  // load the fixtures before measuring
            var configuration = SpoolConfiguration(directory: directory)
            configuration.maxOpenSegments = 64
            let spool = try Spool(configuration: configuration, logger: Fixture.logger)
            let campaign = UUID()
            let sessions = 10_000
            let batches = 4

            ProcessMemory.resetPeak()
            let before = ProcessMemory.residentBytes()
            let started = ContinuousClock.now
            // 250 producers, each interleaving 40 sessions round-robin: all 10,000 sessions are live at
            // once and consecutive appends hit different sessions (files, compressors).
            let producers = 250
            let appendedBytes = try await withThrowingTaskGroup(of: Int.self) { group in
                for producer in 0..<producers {
                    group.addTask {
                        var bytes = 0
                        for seq in 1...batches {
                            for index in stride(from: producer, to: sessions, by: producers) {
                                let blob = Fixture.blob(session: index, seq: seq)
                                let result = try await spool.append(Fixture.record(campaign: campaign, session: "s\(index)", seq: seq, blob: blob))
                                #expect(result == .appended)
                                bytes += blob.events.count
                            }
                        }
                        return bytes
                    }
                }
                return try await group.reduce(0, +)
            }
            let elapsed = ContinuousClock.now - started
            let stats = spool.statistics
            let after = ProcessMemory.residentBytes()
            let peak = ProcessMemory.peakResidentBytes()
            print("spool: \(sessions) sessions × \(batches) durable appends, \(appendedBytes >> 20) MiB in \(elapsed); RSS \(before >> 20) → \(after >> 20) MiB (peak \(peak >> 20) MiB); \(stats)")
            #expect(stats.liveSessions == sessions)
            #expect(stats.openSegments == sessions)
            #expect(stats.openCompressors <= 64)
            #expect(after - before < 64 << 20, "RSS grew by \((after - before) >> 20) MiB")
            #expect(peak - before < 96 << 20, "peak RSS grew by \((peak - before) >> 20) MiB")

            try await spool.shutdown()
            #expect(spool.statistics.closedSegments == sessions)
            #expect(spool.statistics.openCompressors == 0)
            let files = try Fixture.segmentFiles(in: directory)
            #expect(files.count == sessions)
            var mismatches = 0
            var multiMember = 0
            for index in 0..<sessions {
                guard let paths = files["s\(index)"], paths.count == 1 else { mismatches += 1; continue }
                let lines = try Fixture.lines(ofGzip: paths[0])
                let expected = (1...batches).map { Fixture.line(seq: $0, events: Fixture.blob(session: index, seq: $0).events) }
                if lines != expected { mismatches += 1 }
                if index < 200, try Self.memberCount(paths[0]) > 1 { multiMember += 1 }
            }
            #expect(mismatches == 0)
            #expect(multiMember > 0, "evictions should have produced multi-member files")
        }

        @Test func duplicatesAreReportedAndNotWritten() async throws {
            let directory = try Fixture.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let spool = try Spool(configuration: SpoolConfiguration(directory: directory), logger: Fixture.logger)
            let campaign = UUID()
            let blob = Fixture.blob(session: 1, seq: 1)
            #expect(try await spool.append(Fixture.record(campaign: campaign, session: "dup", seq: 1, blob: blob)) == .appended)
            #expect(try await spool.append(Fixture.record(campaign: campaign, session: "dup", seq: 3, blob: blob)) == .appended)
            #expect(try await spool.append(Fixture.record(campaign: campaign, session: "dup", seq: 1, blob: blob)) == .duplicate)
            #expect(try await spool.append(Fixture.record(campaign: campaign, session: "dup", seq: 2, blob: blob)) == .appended)
            #expect(try await spool.append(Fixture.record(campaign: campaign, session: "dup", seq: 3, blob: blob)) == .duplicate)
            // Another session may use the same seq.
            #expect(try await spool.append(Fixture.record(campaign: campaign, session: "other", seq: 1, blob: blob)) == .appended)
            try await spool.shutdown()
            let files = try Fixture.segmentFiles(in: directory)
            let lines = try Fixture.lines(ofGzip: try #require(files["dup"]?.first))
            #expect(lines == [1, 3, 2].map { Fixture.line(seq: $0, events: blob.events) })
            await #expect(throws: SpoolError.self) { try await spool.append(Fixture.record(campaign: campaign, session: "dup", seq: 9, blob: blob)) }
        }

        @Test func linesNeverContainRawNewlines() async throws {
            let directory = try Fixture.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let spool = try Spool(configuration: SpoolConfiguration(directory: directory), logger: Fixture.logger)
            let events = Array("[\r\n  {\"type\":3,\n\"timestamp\":5}\n]".utf8)
            _ = try await spool.append(SpoolRecord(campaignID: UUID(), session: "nl", seq: 7, eventCount: 1, firstTimestamp: 5,
                                                   lastTimestamp: 5, pageURL: nil, events: events))
            try await spool.shutdown()
            let path = try #require(try Fixture.segmentFiles(in: directory)["nl"]?.first)
            let lines = try Fixture.lines(ofGzip: path)
            #expect(lines == [Array("{\"seq\":7,\"events\":[    {\"type\":3, \"timestamp\":5} ]}".utf8)])
        }

        @Test func aSecondSpoolOnTheSameDirectoryIsRefused() throws {
            let directory = try Fixture.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let first = try Spool(configuration: SpoolConfiguration(directory: directory), logger: Fixture.logger)
            #expect(throws: SpoolError.self) { try Spool(configuration: SpoolConfiguration(directory: directory), logger: Fixture.logger) }
            _ = first
        }

        @Test func aDifferentBatchUnderAKnownSeqIsKeptBesideTheFirst() async throws {
            let directory = try Fixture.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let spool = try Spool(configuration: SpoolConfiguration(directory: directory), logger: Fixture.logger)
            let campaign = UUID()
            let first = Fixture.blob(session: 1, seq: 1), other = Fixture.blob(session: 1, seq: 2)
            #expect(first.events != other.events)
            #expect(try await spool.append(Fixture.record(campaign: campaign, session: "tabs", seq: 0, blob: first)) == .appended)
            #expect(try await spool.append(Fixture.record(campaign: campaign, session: "tabs", seq: 0, blob: other)) == .conflict)
            // Redeliveries of either copy are duplicates; a third version is another conflict.
            #expect(try await spool.append(Fixture.record(campaign: campaign, session: "tabs", seq: 0, blob: first)) == .duplicate)
            #expect(try await spool.append(Fixture.record(campaign: campaign, session: "tabs", seq: 0, blob: other)) == .duplicate)
            let third = Fixture.blob(session: 1, seq: 3)
            #expect(try await spool.append(Fixture.record(campaign: campaign, session: "tabs", seq: 0, blob: third)) == .conflict)
            #expect(try await spool.append(Fixture.record(campaign: campaign, session: "tabs", seq: 1, blob: first)) == .appended)
            try await spool.shutdown()
            let lines = try Fixture.lines(ofGzip: try #require(try Fixture.segmentFiles(in: directory)["tabs"]?.first))
            #expect(lines == [Fixture.line(seq: 0, events: first.events), Fixture.line(seq: 0, events: other.events),
                              Fixture.line(seq: 0, events: third.events), Fixture.line(seq: 1, events: first.events)])
        }

        @Test func batchDigestsTellRedeliveriesFromConflicts() {
            var digests = BatchDigests()
            let a = BatchDigests.digest(Array("[1]".utf8)), b = BatchDigests.digest(Array("[2]".utf8))
            #expect(a != b && a != 0 && b != 0)
            #expect(BatchDigests.digest(Array("[1]".utf8)) == a)
            for seq in [5, 1, 3, 2, 4, 10, 8, 9, 7, 6] {
                #expect(digests.match(seq: seq, digest: a) == .new)
                digests.insert(seq: seq, digest: a)
            }
            #expect(digests.sparseCount == 0, "seqs near the first one stay in the dense array")
            #expect((1...10).allSatisfy { digests.match(seq: $0, digest: a) == .identical })
            #expect(digests.match(seq: 3, digest: b) == .conflicting)
            digests.insert(seq: 3, digest: b)
            #expect(digests.match(seq: 3, digest: b) == .identical && digests.match(seq: 3, digest: a) == .identical)
            #expect(digests.match(seq: 0, digest: a) == .new && digests.match(seq: 11, digest: a) == .new)
            digests.insert(seq: 100_000, digest: a)  // far beyond: the dictionary, not 100 000 slots
            digests.insert(seq: -400, digest: b)
            #expect(digests.match(seq: 100_000, digest: a) == .identical && digests.match(seq: 100_000, digest: b) == .conflicting)
            #expect(digests.match(seq: -400, digest: b) == .identical && digests.sparseCount == 3)
            #expect(digests.match(seq: 50, digest: a) == .new)
        }

        @Test func fileNamesRoundTrip() throws {
            let campaign = UUID(), segment = UUID()
            for session in ["abc_DEF-123", "a.b/c%d", "ünï"] {
                let name = SegmentFileName.make(campaignID: campaign, session: session, segmentID: segment)
                #expect(!name.dropLast(SegmentFileName.suffix.count).contains("/"))
                let parsed = try #require(SegmentFileName.parse(name))
                #expect(parsed.campaignID == campaign && parsed.session == session && parsed.segmentID == segment)
            }
        }

        /// Approximate gzip member count: occurrences of the gzip header magic (`1f 8b 08`). May
        /// over-count by chance inside compressed data, which is fine for a "> 1" check.
        static func memberCount(_ path: String) throws -> Int {
            let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            var count = 0
            var index = 0
            while index + 3 < data.count {
                if data[index] == 0x1F, data[index + 1] == 0x8B, data[index + 2] == 0x08 { count += 1 }
                index += 1
            }
            return count
        }
    }
}
