import Foundation
import PostgresNIO
import S3
import Testing
import TestSupport
@testable import Uploader

extension UploaderTests {
    @Suite struct SegmentUploaderTests {
        @Test(.timeLimit(.minutes(1)))
        func idleSegmentsUploadWithOnePutAndAreIndexed() async throws {
            try await Fixture.withDatabase { postgres, campaign in
                let directory = try Fixture.temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: directory) }
                var configuration = SpoolConfiguration(directory: directory)
                configuration.idleTimeout = .seconds(1)
                let spool = try Spool(configuration: configuration, logger: Fixture.logger)
                let prefix = TestStack.uniqueName("test-idle") + "/"
                let s3 = Fixture.s3Client()
                let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres, configuration: Fixture.uploaderConfiguration(prefix: prefix), logger: Fixture.logger)

                var blobs: [Fixture.Blob] = []
                for seq in 1...3 {
                    let blob = Fixture.blob(session: 42, seq: seq)
                    blobs.append(blob)
                    #expect(try await spool.append(Fixture.record(campaign: campaign, session: "idle", seq: seq, blob: blob)) == .appended)
                }
                let file = try #require(try Fixture.segmentFiles(in: directory)["idle"]?.first)
                try await uploader.uploadPending()  // not idle yet: nothing closes
                #expect(spool.statistics.openSegments == 1)
                #expect(try await Fixture.keys(s3, prefix: prefix).isEmpty)
                #expect(FileManager.default.fileExists(atPath: file))

                try await Task.sleep(for: .milliseconds(1100))
                try await uploader.uploadPending()
                #expect(!FileManager.default.fileExists(atPath: file))
                #expect(spool.statistics == SpoolStatistics(openSegments: 0, openCompressors: 0, liveSessions: 0, closedSegments: 0, bytesOnDisk: 0))

                let keys = try await Fixture.keys(s3, prefix: prefix)
                #expect(keys.count == 1)
                let key = try #require(keys.first)
                #expect(key.hasPrefix(prefix + campaign.uuidString.lowercased() + "/idle/000000000001-"))
                let head = try #require(try await s3.headObject(key: key))
                #expect(!head.etag.contains("-"), "a small segment is one PUT")
                #expect(head.contentType == "application/x-ndjson")
                #expect(head.metadata["first-seq"] == "1" && head.metadata["last-seq"] == "3")
                #expect(head.metadata["events"] == String(blobs.map(\.count).reduce(0, +)))
                #expect(head.metadata["campaign"] == campaign.uuidString.lowercased() && head.metadata["session"] == "idle")
                #expect(head.metadata["first-ts"] == SegmentObjectKey.format(blobs.map(\.firstTimestamp).min()!))
                #expect(head.metadata["page-url"] == blobs.compactMap(\.pageURL).first)
                let lines = try await Fixture.objectLines(s3, key: key, scratch: directory)
                #expect(lines == blobs.enumerated().map { Fixture.line(seq: $0.offset + 1, events: $0.element.events) })

                let segments = try await Fixture.segmentRows(postgres, campaign: campaign, session: "idle")
                #expect(segments == [Fixture.SegmentRow(key: key, firstSeq: 1, lastSeq: 3, eventCount: Int64(blobs.map(\.count).reduce(0, +)), bytes: head.size)])
                let session = try #require(try await Fixture.sessionRow(postgres, campaign: campaign, session: "idle"))
                #expect(session == Fixture.SessionRow(eventCount: Int64(blobs.map(\.count).reduce(0, +)), bytes: head.size, segmentCount: 1,
                                                      firstURL: blobs.compactMap(\.pageURL).first))
            }
        }

        @Test("a segment whose batches arrived out of seq order is indexed as not ordered", .timeLimit(.minutes(1)))
        func unorderedSegmentsAreFlagged() async throws {
            try await Fixture.withDatabase { postgres, campaign in
                let directory = try Fixture.temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: directory) }
                var configuration = SpoolConfiguration(directory: directory)
                configuration.idleTimeout = .milliseconds(200)
                let spool = try Spool(configuration: configuration, logger: Fixture.logger)
                let prefix = TestStack.uniqueName("test-order") + "/"
                let uploader = SegmentUploader(spool: spool, s3: Fixture.s3Client(), postgres: postgres,
                                               configuration: Fixture.uploaderConfiguration(prefix: prefix), logger: Fixture.logger)
                for (session, seqs) in [("inorder", [1, 2, 4]), ("swapped", [1, 3, 2])] {
                    for seq in seqs {
                        let record = Fixture.record(campaign: campaign, session: session, seq: seq, blob: Fixture.blob(session: 7, seq: seq))
                        #expect(try await spool.append(record) == .appended)
                    }
                }
                try await Task.sleep(for: .milliseconds(400))
                try await uploader.uploadPending()
                #expect(try await Fixture.segmentRows(postgres, campaign: campaign, session: "inorder").map(\.ordered) == [true])
                #expect(try await Fixture.segmentRows(postgres, campaign: campaign, session: "swapped").map(\.ordered) == [false])
            }
        }

        @Test(.timeLimit(.minutes(1)))
        func largeSegmentsCloseOnSizeAndUseMultipart() async throws {
            try await Fixture.withDatabase { postgres, campaign in
                let directory = try Fixture.temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: directory) }
                var configuration = SpoolConfiguration(directory: directory)
                configuration.compressionLevel = 0  // stored blocks: compressed size ≈ input size, quick to fill
                configuration.maxSegmentBytes = 6 << 20
                let spool = try Spool(configuration: configuration, logger: Fixture.logger)
                let prefix = TestStack.uniqueName("test-size") + "/"
                let s3 = Fixture.s3Client { $0.partSize = 5 << 20 }
                let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres, configuration: Fixture.uploaderConfiguration(prefix: prefix), logger: Fixture.logger)

                let big = Fixture.blobs.max { $0.events.count < $1.events.count }!
                var seq = 0
                var events = 0
                while spool.statistics.closedSegments == 0 {
                    seq += 1
                    events += big.count
                    _ = try await spool.append(Fixture.record(campaign: campaign, session: "big", seq: seq, blob: big))
                    try #require(seq < 100_000)
                }
                let closedAt = seq
                let closed = try #require(spool.takeClosedSegments(limit: 1).first)
                spool.releaseSegment(closed)
                #expect(closed.bytes >= 6 << 20)
                #expect(closed.metadata?.firstSeq == 1 && closed.metadata?.lastSeq == closedAt)
                #expect(spool.statistics.liveSessions == 1 && spool.statistics.openSegments == 0)
                // The session continues in a new segment.
                for _ in 0..<3 {
                    seq += 1
                    _ = try await spool.append(Fixture.record(campaign: campaign, session: "big", seq: seq, blob: big))
                }
                try await spool.shutdown()
                try await uploader.uploadPending()
                #expect(spool.statistics.closedSegments == 0)
                #expect(try Fixture.segmentFiles(in: directory).isEmpty)

                let keys = try await Fixture.keys(s3, prefix: prefix)
                #expect(keys.count == 2)
                #expect(keys.first?.contains("/big/000000000001-") == true)
                #expect(keys.last?.contains("/big/\(String(closedAt + 1).leftPadded(to: 12))-") == true)
                let first = try #require(try await s3.headObject(key: keys[0]))
                #expect(first.etag.hasSuffix("-2"), "a 6 MiB segment is a 2-part multipart upload (ETag \(first.etag))")
                let second = try #require(try await s3.headObject(key: keys[1]))
                #expect(!second.etag.contains("-"))
                let lines = try await Fixture.objectLines(s3, key: keys[0], scratch: directory)
                #expect(lines.count == closedAt)
                #expect(lines.last == Fixture.line(seq: closedAt, events: big.events))

                let rows = try await Fixture.segmentRows(postgres, campaign: campaign, session: "big")
                #expect(rows.map(\.firstSeq) == [1, Int64(closedAt + 1)])
                #expect(rows.map(\.lastSeq) == [Int64(closedAt), Int64(seq)])
                let session = try #require(try await Fixture.sessionRow(postgres, campaign: campaign, session: "big"))
                #expect(session.segmentCount == 2)
                #expect(session.eventCount == Int64(seq * big.count))
                #expect(session.bytes == first.size + second.size)
            }
        }

        @Test(.timeLimit(.minutes(1)))
        func oldSegmentsCloseOnAgeAndTheSessionContinues() async throws {
            try await Fixture.withDatabase { postgres, campaign in
                let directory = try Fixture.temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: directory) }
                var configuration = SpoolConfiguration(directory: directory)
                configuration.maxSegmentAge = .seconds(1)
                let spool = try Spool(configuration: configuration, logger: Fixture.logger)
                let prefix = TestStack.uniqueName("test-age") + "/"
                let s3 = Fixture.s3Client()
                let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres, configuration: Fixture.uploaderConfiguration(prefix: prefix), logger: Fixture.logger)

                let blob = Fixture.blob(session: 7, seq: 1)
                _ = try await spool.append(Fixture.record(campaign: campaign, session: "aged", seq: 1, blob: blob))
                _ = try await spool.append(Fixture.record(campaign: campaign, session: "aged", seq: 2, blob: blob))
                try await Task.sleep(for: .milliseconds(1100))
                try await uploader.uploadPending()
                #expect(spool.statistics.liveSessions == 1, "an aged-out segment keeps its session (and its de-duplication)")
                #expect(try await spool.append(Fixture.record(campaign: campaign, session: "aged", seq: 2, blob: blob)) == .duplicate)
                #expect(try await spool.append(Fixture.record(campaign: campaign, session: "aged", seq: 3, blob: blob)) == .appended)
                try await spool.shutdown()
                try await uploader.uploadPending()

                let keys = try await Fixture.keys(s3, prefix: prefix)
                #expect(keys.count == 2)
                let rows = try await Fixture.segmentRows(postgres, campaign: campaign, session: "aged")
                #expect(rows.map { [$0.firstSeq, $0.lastSeq] } == [[1, 2], [3, 3]])
                let session = try #require(try await Fixture.sessionRow(postgres, campaign: campaign, session: "aged"))
                #expect(session.segmentCount == 2 && session.eventCount == Int64(3 * blob.count))
                #expect(try await Fixture.objectLines(s3, key: keys[1], scratch: directory) == [Fixture.line(seq: 3, events: blob.events)])
            }
        }

        /// Upload slots go on to the next closed segment as soon as one is done: a backlog does not
        /// wait for the next check. With a check interval of a minute, every segment closed at the first
        /// check is in S3 long before the second.
        @Test(.timeLimit(.minutes(2)))
        func aBacklogDrainsWithoutWaitingForTheNextCheck() async throws {
            try await Fixture.withDatabase { postgres, campaign in
                let directory = try Fixture.temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: directory) }
                var spoolConfiguration = SpoolConfiguration(directory: directory)
                spoolConfiguration.idleTimeout = .milliseconds(100)
                let spool = try Spool(configuration: spoolConfiguration, logger: Fixture.logger)
                let prefix = TestStack.uniqueName("test-backlog") + "/"
                let s3 = Fixture.s3Client()
                var configuration = Fixture.uploaderConfiguration(prefix: prefix)
                configuration.checkInterval = .seconds(60)
                configuration.maxConcurrentUploads = 2
                let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres, configuration: configuration, logger: Fixture.logger)
                for session in 0..<20 {
                    _ = try await spool.append(Fixture.record(campaign: campaign, session: "b\(session)", seq: 1, blob: Fixture.blob(session: session, seq: 1)))
                }
                try await Task.sleep(for: .milliseconds(200))  // all idle: the first check closes all 20
                let running = Task { try await uploader.run() }
                let deadline = ContinuousClock.now + .seconds(30)
                var uploaded = 0
                while uploaded < 20, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                    uploaded = try await Fixture.keys(s3, prefix: prefix).count
                }
                running.cancel()
                _ = try? await running.value
                #expect(uploaded == 20, "segments in S3 before the second check: \(uploaded) of 20")
                #expect(try Fixture.segmentFiles(in: directory).isEmpty)
            }
        }

        @Test(.timeLimit(.minutes(1)))
        func gracefulShutdownClosesAndUploadsEverything() async throws {
            try await Fixture.withDatabase { postgres, campaign in
                let directory = try Fixture.temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let spool = try Spool(configuration: SpoolConfiguration(directory: directory), logger: Fixture.logger)
                let prefix = TestStack.uniqueName("test-shutdown") + "/"
                let s3 = Fixture.s3Client()
                let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres, configuration: Fixture.uploaderConfiguration(prefix: prefix), logger: Fixture.logger)
                for session in 0..<5 {
                    for seq in 1...2 {
                        _ = try await spool.append(Fixture.record(campaign: campaign, session: "g\(session)", seq: seq, blob: Fixture.blob(session: session, seq: seq)))
                    }
                }
                try await Fixture.runUntilGracefulShutdown(uploader, after: .milliseconds(300))
                #expect(spool.statistics.closedSegments == 0 && spool.statistics.openSegments == 0)
                #expect(try await Fixture.keys(s3, prefix: prefix).count == 5)
                #expect(try Fixture.segmentFiles(in: directory).isEmpty)
            }
        }
    }
}
