import Foundation
import PostgresNIO
import S3
import Testing
import TestSupport
@testable import Uploader

extension UploaderTests {
    @Suite struct TransientFailureTests {
        /// S3 unreachable at first (nothing listens on the endpoint's port), then reachable through a
        /// TCP forwarder to SeaweedFS: the uploader keeps the file, retries, and uploads.
        @Test(.timeLimit(.minutes(1)))
        func uploadsRetryUntilS3IsReachableAndKeepTheFile() async throws {
            try await Fixture.withDatabase { postgres, campaign in
                let directory = try Fixture.temporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: directory) }
                var spoolConfiguration = SpoolConfiguration(directory: directory)
                spoolConfiguration.idleTimeout = .milliseconds(200)
                let spool = try Spool(configuration: spoolConfiguration, logger: Fixture.logger)
                let port = try TCPForwarder.freePort()
                let s3 = Fixture.s3Client(endpoint: "http://127.0.0.1:\(port)", logLevel: .critical) { $0.maxAttempts = 2 }
                let direct = Fixture.s3Client()
                let prefix = TestStack.uniqueName("test-transient") + "/"
                var quiet = Fixture.logger
                quiet.logLevel = .critical  // the expected failures would flood the output
                let uploader = SegmentUploader(spool: spool, s3: s3, postgres: postgres, configuration: Fixture.uploaderConfiguration(prefix: prefix), logger: quiet)
                for seq in 1...3 {
                    _ = try await spool.append(Fixture.record(campaign: campaign, session: "flaky", seq: seq, blob: Fixture.blob(session: 9, seq: seq)))
                }
                let file = try #require(try Fixture.segmentFiles(in: directory)["flaky"]?.first)

                let run = Task { try await uploader.run() }
                try await Task.sleep(for: .seconds(1.5))  // several failed attempts
                #expect(spool.statistics.closedSegments == 1)
                #expect(FileManager.default.fileExists(atPath: file), "the file is kept while S3 is unreachable")
                #expect(try await Fixture.keys(direct, prefix: prefix).isEmpty)

                let target = URL(string: TestStack.s3Endpoint)!
                let forwarder = try TCPForwarder(port: port, targetHost: target.host ?? "127.0.0.1", targetPort: target.port ?? 80)
                defer { forwarder.stop() }
                let uploaded = try await Fixture.eventually(timeout: .seconds(15)) { !FileManager.default.fileExists(atPath: file) }
                run.cancel()
                try await run.value
                #expect(uploaded)
                let keys = try await Fixture.keys(direct, prefix: prefix)
                #expect(keys.count == 1)
                if let key = keys.first {
                    #expect(try await Fixture.objectLines(direct, key: key, scratch: directory).count == 3)
                }
                #expect(try await Fixture.segmentRows(postgres, campaign: campaign, session: "flaky").count == 1)
            }
        }
    }
}
