import Foundation
import Gzip
import PostgresNIO
import S3
import Testing
import TestSupport
@testable import Uploader

extension UploaderTests {
    /// Segments S3 refuses for good and damaged leftovers are kept in the quarantine directory with a
    /// reason, never retried forever (the slot is freed) and never truncated without a trace.
    @Suite struct QuarantineTests {
        /// A key prefix of `length` characters in path components S3-compatible stores accept (< 200 each).
        static func longPrefix(_ length: Int) -> String {
            var prefix = TestStack.uniqueName("q") + "/"
            while prefix.count + 200 <= length { prefix += String(repeating: "p", count: 99) + "/" }
            prefix += String(repeating: "r", count: length - prefix.count - 1) + "/"
            return prefix
        }

        /// A segment whose object key S3 refuses (`KeyTooLongError`, a permanent 400) is quarantined at
        /// once while the other sessions upload; re-driven with a working prefix (the cause fixed), it
        /// uploads and leaves the quarantine, and the spool releases its commit hold.
        @Test(.timeLimit(.minutes(2)))
        func refusedSegmentIsQuarantinedTheOthersUploadAndRetryUploadsIt() async throws {
            try await Fixture.withDatabase { postgres, campaign in
                let directory = try Fixture.temporaryDirectory("quarantine")
                defer { try? FileManager.default.removeItem(atPath: directory) }
                // Keys are prefix + 96 + session bytes; S3 (and SeaweedFS) refuse keys over 1,024 bytes.
                let prefix = Self.longPrefix(820)
                let long = "long-" + String(repeating: "x", count: 145)
                let sessions = ["a1", "a2", "a3", long]
                #expect(SegmentObjectKey.make(prefix: prefix, campaignID: campaign, session: long, firstSeq: 0, segmentID: UUID()).utf8.count > 1024)
                let source = SpoolSource(topic: "t", partition: 0)
                let spool = try Spool(configuration: SpoolConfiguration(directory: directory), logger: Fixture.logger)
                for (index, session) in sessions.enumerated() {
                    var record = Fixture.record(campaign: campaign, session: session, seq: 0, blob: Fixture.blob(session: index, seq: 0))
                    record.origin = SpoolOrigin(source: source, offset: Int64(index))
                    _ = try await spool.append(record)
                }
                #expect(spool.lowestHeldOffset(source, atLeast: 0) == 0)
                try await spool.shutdown()

                let s3 = Fixture.s3Client()
                let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres,
                                               configuration: Fixture.uploaderConfiguration(prefix: prefix), logger: Fixture.logger)
                let started = ContinuousClock.now
                let segments = spool.takeClosedSegments(limit: .max)
                #expect(segments.count == 4)
                for segment in segments { #expect(await uploader.uploadWithRetry(segment)) }
                #expect(ContinuousClock.now - started < .seconds(30), "a permanent refusal was retried")

                let keys = try await Fixture.keys(s3, prefix: prefix)
                #expect(keys.count == 3, "the other sessions uploaded: \(keys)")
                let entries = try SpoolQuarantine.list(spoolDirectory: directory)
                #expect(entries.count == 1)
                let entry = try #require(entries.first)
                #expect(entry.kind == .uploadRefused && entry.session == long)
                #expect(entry.reason.contains("KeyTooLong"), "\(entry.reason)")
                #expect(spool.quarantinedCount == 1)
                // Its batch is on this disk only: the partition's commit stays before it.
                #expect(spool.lowestHeldOffset(source, atLeast: 0) == 3)
                #expect(try Fixture.segmentFiles(in: directory).isEmpty, "the refused file left the spool directory")

                // The cause fixed (a key prefix S3 takes): `replayd spool quarantine retry` uploads it.
                let fixedPrefix = TestStack.uniqueName("q-fixed") + "/"
                let redriver = QuarantineRedriver(s3: s3, postgres: postgres, keyPrefix: fixedPrefix, logger: Fixture.logger)
                let result = await redriver.redrive(entry)
                guard case .uploaded(let key) = result else {
                    Issue.record("re-drive failed: \(result)")
                    return
                }
                #expect(key.hasPrefix(fixedPrefix))
                let lines = try await Fixture.objectLines(s3, key: key, scratch: directory)
                #expect(lines == [Fixture.line(seq: 0, events: Fixture.blob(session: 3, seq: 0).events)])
                #expect(try SpoolQuarantine.list(spoolDirectory: directory).isEmpty)
                #expect(spool.releaseRedrivenQuarantine() == 1)
                #expect(spool.lowestHeldOffset(source, atLeast: 0) == nil, "every batch is in S3: nothing holds the commit")
                #expect(try await Fixture.segmentRows(postgres, campaign: campaign, session: long).count == 1)
            }
        }

        /// Damage in the middle of a leftover spool file (the second of three gzip members): the intact
        /// first member is uploaded, the damaged original is kept in quarantine with its reason.
        @Test(.timeLimit(.minutes(1)))
        func corruptMiddleUploadsTheIntactPartAndKeepsTheOriginal() async throws {
            try await Fixture.withDatabase { postgres, campaign in
                let directory = try Fixture.temporaryDirectory("corrupt")
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let path = directory + "/" + SegmentFileName.make(campaignID: campaign, session: "damaged", segmentID: UUID())
                var members: [[UInt8]] = []
                var expected: [[UInt8]] = []
                for member in 0..<3 {
                    var plain: [UInt8] = []
                    for seq in (member * 3)..<(member * 3 + 3) {
                        let line = Fixture.line(seq: seq, events: Fixture.blob(session: 9, seq: seq).events)
                        plain += line + [0x0A]
                        if member == 0 { expected.append(line) }
                    }
                    members.append(try Gzip.compress(plain))
                }
                var bytes = members.joined().map { $0 }
                let damageAt = members[0].count + members[1].count / 2
                bytes[damageAt] ^= 0x55
                try Data(bytes).write(to: URL(fileURLWithPath: path))

                let spool = try Spool(configuration: SpoolConfiguration(directory: directory), logger: Fixture.logger)
                #expect(spool.statistics.closedSegments == 1)
                let prefix = TestStack.uniqueName("test-corrupt") + "/"
                let s3 = Fixture.s3Client()
                let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres,
                                               configuration: Fixture.uploaderConfiguration(prefix: prefix), logger: Fixture.logger)
                try await uploader.uploadPending()

                let keys = try await Fixture.keys(s3, prefix: prefix)
                #expect(keys.count == 1)
                let key = try #require(keys.first)
                #expect(try await Fixture.objectLines(s3, key: key, scratch: directory) == expected, "the intact part, exactly")
                let entries = try SpoolQuarantine.list(spoolDirectory: directory)
                #expect(entries.count == 1)
                let entry = try #require(entries.first)
                #expect(entry.kind == .corruptRecovery && entry.session == "damaged")
                #expect(try Array(Data(contentsOf: URL(fileURLWithPath: entry.path))) == bytes, "the damaged original, byte for byte")
                #expect(entry.reason.contains("does not decode"), "\(entry.reason)")
                #expect(try Fixture.segmentFiles(in: directory).isEmpty)
                // A damaged original is kept for inspection, not uploaded again.
                let result = await QuarantineRedriver(s3: s3, postgres: postgres, keyPrefix: prefix, logger: Fixture.logger).redrive(entry)
                guard case .kept = result else {
                    Issue.record("a damaged original was re-driven: \(result)")
                    return
                }
            }
        }
    }
}
