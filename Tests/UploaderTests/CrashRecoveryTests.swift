import Core
import Foundation
import Gzip
import PostgresNIO
import S3
import Testing
import TestSupport
@testable import Uploader

extension UploaderTests {
    @Suite struct CrashRecoveryTests {
        /// Simulates `kill -9` during spooling: the spool directory is copied while the spool is alive —
        /// compressors open, members unfinished, batches written but not yet flushed — then a new Spool
        /// starts on the copy. Everything acknowledged must reach S3, once.
        @Test(.timeLimit(.minutes(1)))
        func acknowledgedBatchesSurviveACrashAndUploadOnce() async throws {
            try await Fixture.withDatabase { postgres, campaign in
                let directory = try Fixture.temporaryDirectory("crashed")
                let copy = directory + "-after-crash"
                let second = directory + "-after-second-crash"
                defer { if ProcessInfo.processInfo.environment["KEEP"] == nil { for path in [directory, copy, second] { try? FileManager.default.removeItem(atPath: path) } } }
                var configuration = SpoolConfiguration(directory: directory)
                configuration.maxOpenSegments = 4  // evictions: multi-member files, some members finished
                // Never shut down: the copy below is the state a `kill -9` would leave.
                let sessions = 20
                let acknowledged = 5
                let live = try Spool(configuration: configuration, logger: Fixture.logger)
                for seq in 1...acknowledged {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for session in 0..<sessions {
                            group.addTask {
                                let record = Fixture.record(campaign: campaign, session: "c\(session)", seq: seq, blob: Fixture.blob(session: session, seq: seq))
                                _ = try await live.append(record)
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                // Written, never acknowledged: may or may not survive.
                for session in 0..<sessions {
                    _ = try live.write(Fixture.record(campaign: campaign, session: "c\(session)", seq: acknowledged + 1, blob: Fixture.blob(session: session, seq: acknowledged + 1)))
                }
                let result = try shell("cp -a '\(directory)' '\(copy)' && cp -a '\(directory)' '\(second)'")
                try #require(result.status == 0, "\(result.output)")

                // Restart on the copy.
                let spool = try Spool(configuration: SpoolConfiguration(directory: copy), logger: Fixture.logger)
                #expect(spool.statistics.closedSegments == sessions)
                let prefix = TestStack.uniqueName("test-crash") + "/"
                let s3 = Fixture.s3Client()
                let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres, configuration: Fixture.uploaderConfiguration(prefix: prefix), logger: Fixture.logger)
                try await uploader.uploadPending()
                #expect(spool.statistics.closedSegments == 0)
                #expect(try Fixture.segmentFiles(in: copy).isEmpty)

                var keysBySession: [String: [String]] = [:]
                for key in try await Fixture.keys(s3, prefix: prefix) {
                    let session = key.split(separator: "/").dropLast().last.map(String.init) ?? ""
                    keysBySession[session, default: []].append(key)
                }
                #expect(keysBySession.count == sessions)
                for session in 0..<sessions {
                    let keys = keysBySession["c\(session)"] ?? []
                    #expect(keys.count == 1, "session c\(session) has \(keys.count) objects")
                    guard let key = keys.first else { continue }
                    let lines = try await Fixture.objectLines(s3, key: key, scratch: copy)
                    let expected = (1...acknowledged + 1).map { Fixture.line(seq: $0, events: Fixture.blob(session: session, seq: $0).events) }
                    #expect(lines.count >= acknowledged && lines.count <= acknowledged + 1)
                    #expect(lines == Array(expected.prefix(lines.count)), "session c\(session): recovered content differs (\(lines.count) lines)")
                    let rows = try await Fixture.segmentRows(postgres, campaign: campaign, session: "c\(session)")
                    #expect(rows.count == 1 && rows.first?.firstSeq == 1 && rows.first?.lastSeq == Int64(lines.count))
                    #expect(rows.first?.ordered == false, "a recovered segment's order is not known: playback sorts it")
                    let events = (1...lines.count).map { Fixture.blob(session: session, seq: $0).count }.reduce(0, +)
                    #expect(rows.first?.eventCount == Int64(events))
                    let head = try #require(try await s3.headObject(key: key))
                    #expect(head.metadata["first-seq"] == "1" && head.metadata["events"] == String(events))
                }

                // A crash after upload but before the local delete: the same files are uploaded again
                // under the same keys; S3 and the index are unchanged.
                let before = try await Fixture.sessionRow(postgres, campaign: campaign, session: "c0")
                let again = try Spool(configuration: SpoolConfiguration(directory: second), logger: Fixture.logger)
                let uploaderAgain = SegmentUploader(spool: again, s3: s3, postgres: postgres, configuration: Fixture.uploaderConfiguration(prefix: prefix), logger: Fixture.logger)
                try await uploaderAgain.uploadPending()
                #expect(try await Fixture.keys(s3, prefix: prefix).count == sessions)
                #expect(try await Fixture.sessionRow(postgres, campaign: campaign, session: "c0") == before)
                #expect(try await Fixture.segmentRows(postgres, campaign: campaign, session: "c0").count == 1)
            }
        }

        @Test func emptyAndTornLeftoversAreHandled() async throws {
            let directory = try Fixture.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let campaign = UUID()
            // A file created but never flushed, a stale rewrite temp file, and a file with a torn tail.
            let empty = directory + "/" + SegmentFileName.make(campaignID: campaign, session: "empty", segmentID: UUID())
            _ = FileManager.default.createFile(atPath: empty, contents: Data())
            _ = FileManager.default.createFile(atPath: empty + ".tmp", contents: Data([1, 2, 3]))
            let torn = directory + "/" + SegmentFileName.make(campaignID: campaign, session: "torn", segmentID: UUID())
            let writer = try GzipFileWriter(path: torn)
            let blob = Fixture.blobs.max { $0.events.count < $1.events.count }!
            // A line much longer than the reader's 64 KiB pieces, so lines span pieces.
            let padding = "[" + String(repeating: "{\"type\":3,\"timestamp\":1,\"data\":{}},", count: 8_000) + "{\"type\":3,\"timestamp\":2,\"data\":{}}]"
            let long = Array(padding.utf8)
            try writer.write(Fixture.line(seq: 1, events: blob.events) + [0x0A])
            try writer.write(Fixture.line(seq: 2, events: long) + [0x0A])
            try writer.flush()
            try writer.write(Array("{\"seq\":3,\"events\":[{\"type\":3".utf8))  // partial line, flushed: the torn case
            try writer.flush()
            _ = writer  // dropped without finish()

            let spool = try Spool(configuration: SpoolConfiguration(directory: directory), logger: Fixture.logger)
            #expect(!FileManager.default.fileExists(atPath: empty + ".tmp"))
            #expect(spool.statistics.closedSegments == 2)
            #expect(try SegmentRecovery.recover(path: empty) == nil)
            let metadata = try #require(try SegmentRecovery.recover(path: torn))
            #expect(metadata.firstSeq == 1 && metadata.lastSeq == 2 && metadata.batchCount == 2 && metadata.eventCount == blob.count + 8_001)
            #expect(metadata.firstTimestamp == 1 && metadata.lastTimestamp == blob.lastTimestamp)
            // Rewritten as a complete gzip file holding exactly the complete lines.
            #expect(try Fixture.lines(ofGzip: torn) == [Fixture.line(seq: 1, events: blob.events), Fixture.line(seq: 2, events: long)])
        }

        /// A segment recovered after a crash is summarised again from its lines.
        @Test func recoveredSegmentsCarryTheirSummary() throws {
            let directory = try Fixture.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/" + SegmentFileName.make(campaignID: UUID(), session: "summarised", segmentID: UUID())
            let writer = try GzipFileWriter(path: path)
            let t = 1_764_000_000_000
            func click(_ ms: Int, x: Int) -> String { #"{"type":3,"data":{"source":2,"type":2,"id":4,"x":\#(x),"y":10},"timestamp":\#(t + ms)}"# }
            let first = "[" + [#"{"type":4,"data":{"href":"https://a.example/","width":800,"height":600},"timestamp":\#(t)}"#,
                               #"{"type":2,"data":{"node":{"type":0,"childNodes":[],"id":1}},"timestamp":\#(t + 1)}"#,
                               click(100, x: 10), click(300, x: 12), click(500, x: 11)].joined(separator: ",") + "]"
            let second = "[" + [#"{"type":3,"data":{"source":5,"text":"a","id":9},"timestamp":\#(t + 2000)}"#,
                                #"{"type":6,"data":{"plugin":"rrweb/console@1","payload":{"level":"error","trace":[],"payload":["\"e\""]}},"timestamp":\#(t + 2100)}"#].joined(separator: ",") + "]"
            try writer.write(Fixture.line(seq: 0, events: Array(first.utf8)) + [0x0A])
            try writer.write(Fixture.line(seq: 1, events: Array(second.utf8)) + [0x0A])
            try writer.flush()
            _ = writer  // dropped without finish(): a crash
            let metadata = try #require(try SegmentRecovery.recover(path: path))
            let summary = try #require(metadata.summary)
            #expect(summary.clicks == 3 && summary.rageClicks == 1 && summary.keypresses == 1 && summary.consoleErrors == 1)
            #expect(summary.urls == ["https://a.example/"] && summary.firstFullSnapshot == Double(t + 1))
        }

        /// `kill -9` during a multipart upload leaves the upload open; the uploader aborts it at start.
        @Test(.timeLimit(.minutes(1)))
        func abandonedMultipartUploadsAreAbortedAtStart() async throws {
            try await Fixture.withDatabase { postgres, _ in
                let directory = try Fixture.temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let prefix = TestStack.uniqueName("test-abandoned") + "/"
                let s3 = Fixture.s3Client()
                let key = prefix + "\(UUID().uuidString.lowercased())/s/000000000001-\(UUID().uuidString.lowercased()).jsonl.gz"
                let part = directory + "/part"
                _ = FileManager.default.createFile(atPath: part, contents: Data(repeating: 7, count: 1 << 20))
                let uploadID = try await s3.createMultipartUpload(key: key, contentType: SegmentObjectKey.contentType)
                _ = try await s3.uploadPart(key: key, uploadID: uploadID, partNumber: 1, file: part, offset: 0, length: 1 << 20)
                #expect(try await s3.listMultipartUploads(prefix: prefix).map(\.uploadID) == [uploadID])

                let spool = try Spool(configuration: SpoolConfiguration(directory: directory + "/spool"), logger: Fixture.logger)
                var configuration = Fixture.uploaderConfiguration(prefix: prefix)
                // A young upload may belong to a running Processor: kept.
                let keeping = SegmentUploader(spool: spool, s3: s3, postgres: postgres, configuration: configuration, logger: Fixture.logger)
                #expect(try await keeping.abortAbandonedMultipartUploads() == 0)
                configuration.abandonedMultipartAge = .zero
                let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres, configuration: configuration, logger: Fixture.logger)
                let run = Task { try await uploader.run() }
                let cleaned = try await Fixture.eventually(timeout: .seconds(10)) { try await s3.listMultipartUploads(prefix: prefix).isEmpty }
                run.cancel()
                try await run.value
                #expect(cleaned)
                #expect(try await s3.headObject(key: key) == nil)
            }
        }
    }
}
