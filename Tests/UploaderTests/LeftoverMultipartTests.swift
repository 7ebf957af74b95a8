import Foundation
import S3
import Testing
import TestSupport
@testable import Uploader

extension UploaderTests {
    @Suite struct LeftoverMultipartTests {
        /// A process killed mid-upload leaves its multipart upload open; the young upload survives the
        /// start-up clean-up (it might belong to a running Processor). Once the restarted process has
        /// uploaded the segment again, it aborts the earlier upload of that segment — matched by the
        /// segment id, whatever first seq its key named — and leaves other segments' uploads alone.
        @Test(.timeLimit(.minutes(1)))
        func uploadingASegmentAgainAbortsItsEarlierMultipartUpload() async throws {
            try await Fixture.withDatabase { postgres, campaign in
                let directory = try Fixture.temporaryDirectory("leftover")
                let restarted = directory + "-restarted"
                defer { for path in [directory, restarted] { try? FileManager.default.removeItem(atPath: path) } }
                let live = try Spool(configuration: SpoolConfiguration(directory: directory), logger: Fixture.logger)
                for seq in 1...3 {
                    _ = try await live.append(Fixture.record(campaign: campaign, session: "left", seq: seq, blob: Fixture.blob(session: 3, seq: seq)))
                }
                try await live.shutdown()
                // The state a `kill -9` during the upload leaves: the closed file, found by the next process.
                let copied = try shell("cp -a '\(directory)' '\(restarted)'")
                try #require(copied.status == 0, "\(copied.output)")
                let file = try #require(try Fixture.segmentFiles(in: restarted)["left"]?.first)
                let segment = try #require(SegmentFileName.parse((file as NSString).lastPathComponent))

                let prefix = TestStack.uniqueName("test-leftover") + "/"
                let s3 = Fixture.s3Client()
                let part = directory + "-part"
                _ = FileManager.default.createFile(atPath: part, contents: Data(repeating: 7, count: 1 << 20))
                defer { try? FileManager.default.removeItem(atPath: part) }
                // The killed attempt named another first seq; another segment of the session is uploading too.
                let earlierKey = SegmentObjectKey.make(prefix: prefix, campaignID: campaign, session: "left", firstSeq: 0, segmentID: segment.segmentID)
                let otherKey = SegmentObjectKey.make(prefix: prefix, campaignID: campaign, session: "left", firstSeq: 4, segmentID: UUID())
                var uploadIDs: [String: String] = [:]
                for key in [earlierKey, otherKey] {
                    let uploadID = try await s3.createMultipartUpload(key: key, contentType: SegmentObjectKey.contentType)
                    _ = try await s3.uploadPart(key: key, uploadID: uploadID, partNumber: 1, file: part, offset: 0, length: 1 << 20)
                    uploadIDs[key] = uploadID
                }

                let spool = try Spool(configuration: SpoolConfiguration(directory: restarted), logger: Fixture.logger)
                let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres, configuration: Fixture.uploaderConfiguration(prefix: prefix), logger: Fixture.logger)
                #expect(try await uploader.abortAbandonedMultipartUploads() == 0, "young uploads survive the start-up clean-up")
                try await uploader.uploadPending()

                let keys = try await Fixture.keys(s3, prefix: prefix)
                #expect(keys.count == 1 && keys.first != earlierKey, "the segment is uploaded under its own key: \(keys)")
                let open = try await s3.listMultipartUploads(prefix: prefix)
                #expect(open.map(\.uploadID) == [uploadIDs[otherKey]], "only the other segment's upload is still open: \(open)")
                #expect(!FileManager.default.fileExists(atPath: file))
                for key in keys { try? await s3.deleteObject(key: key) }
                for (key, uploadID) in uploadIDs { try? await s3.abortMultipartUpload(key: key, uploadID: uploadID) }
            }
        }
    }
}
