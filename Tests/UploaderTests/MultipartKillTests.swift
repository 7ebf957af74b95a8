import Core
import Foundation
import Gzip
import PostgresNIO
import S3
import Testing
import TestSupport
@testable import Uploader

extension UploaderTests {
    /// The real `replayd processor` is `kill -9`ed while it uploads a large segment with multipart
    /// upload, and started again on the same spool directory.
    @Suite struct MultipartKillTests {
        static let batches = 32
        static let eventsPerBatch = 4
        /// 4 × 192 KiB random bytes, base64: 1 MiB of events per batch, ≈ 24 MiB of gzip in all.
        static let payloadBytes = 192 << 10
        /// The S3 endpoint the first process sees accepts 2 MiB/s: the upload takes about 12 s.
        static let throttle = 2 << 20

        @Test("kill -9 during a multipart upload, restart: everything ends up in S3, once", .timeLimit(.minutes(3)))
        func killNineDuringMultipartUploadThenRestart() async throws {
            try await ProcessPipeline.withCampaign { postgres, campaign in
                try await ProcessPipeline.withTopic { topic in
                    try await Self.run(postgres: postgres, campaign: campaign.id, key: campaign.publicKey, topic: topic)
                }
            }
        }

        static func run(postgres: PostgresClient, campaign: UUID, key: String, topic: String) async throws {
            let started = ContinuousClock.now
            let spool = try Fixture.temporaryDirectory("kill-spool")
            let session = "mpkill-\(UInt32.random(in: 0...UInt32.max))"
            let campaignPrefix = "sessions/\(campaign.uuidString.lowercased())/"
            let sessionPrefix = SegmentObjectKey.sessionPrefix(prefix: "sessions/", campaignID: campaign, session: session)
            let s3 = Fixture.s3Client()
            defer { try? FileManager.default.removeItem(atPath: spool) }

            // The first processor reaches S3 through a throttled forwarder.
            let target = try #require(URL(string: TestStack.s3Endpoint))
            let forwarderPort = try TCPForwarder.freePort()
            let forwarder = try TCPForwarder(port: forwarderPort, targetHost: target.host ?? "127.0.0.1", targetPort: target.port ?? 80,
                                             upstreamBytesPerSecond: throttle)
            defer { forwarder.stop() }
            let common = [
                "REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_KAFKA_DLQ_TOPIC": topic + ".dlq", "REPLAYD_KAFKA_GROUP": topic + "-group",
                "REPLAYD_KAFKA_SESSION_TIMEOUT": "6s", "REPLAYD_LOG_LEVEL": "warning",
            ]
            let processorSettings = common.merging([
                "REPLAYD_SPOOL_DIR": spool, "REPLAYD_SPOOL_IDLE_TIMEOUT": "2s", "REPLAYD_S3_PART_SIZE": "5MiB",
                "REPLAYD_SEGMENT_MAX_BYTES": "64MiB", "REPLAYD_PROCESSOR_INSTANCE": "kill-test",
            ]) { $1 }
            let collectorPort = try TestStack.freePort(), firstPort = try TestStack.freePort()
            let secondPort = try TestStack.freePort()
            let collector = try ReplaydProcess.start("collector", port: collectorPort, environment: common)
            defer { collector.stop() }
            let first = try ReplaydProcess.start("processor", port: firstPort, environment: processorSettings.merging(
                ["REPLAYD_S3_ENDPOINT": "http://127.0.0.1:\(forwarderPort)"]) { $1 })
            var firstRunning = true
            defer { if firstRunning { first.crash() } }

            print("collector and processor ready after \(ContinuousClock.now - started)")
            // 1. One session, 32 batches of 1 MiB of barely compressible events, through the Collector.
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            var posted: [String] = []
            for seq in 0..<batches {
                let events = ProcessPipeline.incompressibleEvents(count: eventsPerBatch, payloadBytes: payloadBytes, timestamp: now + Int64(seq * 10))
                let status = try ProcessPipeline.post(ProcessPipeline.batchBody(key: key, session: session, seq: seq, events: events),
                                                      to: "http://127.0.0.1:\(collectorPort)")
                try #require(status == 202, "batch \(seq) answered \(status); collector: \(collector.log.suffix(1500))")
                posted.append(events)
            }

            print("\(batches) batches accepted after \(ContinuousClock.now - started)")
            // 2. The segment closes after 2 s idle and its multipart upload starts (slowly): kill -9 then.
            var open: [S3MultipartUpload] = []
            let deadline = ContinuousClock.now + .seconds(60)
            while open.isEmpty && ContinuousClock.now < deadline {
                open = try await s3.listMultipartUploads(prefix: campaignPrefix)
                if open.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            }
            try #require(!open.isEmpty, "no multipart upload started; processor: \(first.log.suffix(2000))")
            #expect(try ProcessPipeline.metric(#"replayd_processor_records_total{result="stored"}"#, port: first.adminPort) == Double(batches))
            first.crash()
            firstRunning = false
            print("killed the processor \(ContinuousClock.now - started) after the start, during multipart upload \(open.map(\.key))")

            // The kill really happened mid-upload: the upload is still open, no object exists, the file is kept.
            let stillOpen = try await s3.listMultipartUploads(prefix: campaignPrefix)
            #expect(Set(stillOpen.map(\.uploadID)).isSuperset(of: open.map(\.uploadID)), "the multipart upload was open when the process died")
            #expect(try await Fixture.keys(s3, prefix: campaignPrefix).isEmpty, "no object was complete when the process died")
            let files = try Fixture.segmentFiles(in: spool)
            #expect(files.count == 1 && files[session]?.count == 1, "the closed segment is still in the spool: \(files)")
            let segmentBytes = try files[session].flatMap(\.first).map { try FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int ?? 0 } ?? 0
            #expect(segmentBytes >= 20 << 20, "the segment (\(segmentBytes) bytes) is large enough for several 5 MiB parts")

            // 3. Start again on the same spool directory, S3 at full speed.
            let second = try ReplaydProcess.start("processor", port: secondPort, environment: processorSettings)
            var secondRunning = true
            defer { if secondRunning { second.stop() } }
            let uploaded = try await Fixture.eventually(timeout: .seconds(60)) {
                guard try Fixture.segmentFiles(in: spool).isEmpty else { return false }
                return !(try await Fixture.keys(s3, prefix: sessionPrefix).isEmpty)
            }
            #expect(uploaded, "the recovered segment was uploaded and its file deleted; processor: \(second.log.suffix(2000))")
            #expect(try ProcessPipeline.metric("replayd_spool_recovered_segments_total", port: second.adminPort) == 1)
            #expect(try ProcessPipeline.metric(#"replayd_uploads_total{method="multipart"}"#, port: second.adminPort) == 1)
            let leftOpen = try await s3.listMultipartUploads(prefix: campaignPrefix)
            #expect(leftOpen.isEmpty, "multipart uploads left open: \(leftOpen)")

            // Commit after S3: nothing was in S3 when the first process died, so no offset was
            // committed and the restarted process is given all 32 batches again; it stores them in a
            // new segment (its spool does not know the recovered file's seqs) and commits them once
            // that segment is in S3 too.
            let assigned = try await Fixture.eventually(timeout: .seconds(30)) {
                try ProcessPipeline.metric(#"replayd_processor_rebalances_total{event="assigned"}"#, port: second.adminPort) >= 1
            }
            #expect(assigned, "the restarted processor joined the group")
            let redelivered = try await Fixture.eventually(timeout: .seconds(30)) {
                let stored = try ProcessPipeline.metric(#"replayd_processor_records_total{result="stored"}"#, port: second.adminPort)
                let duplicate = try ProcessPipeline.metric(#"replayd_processor_records_total{result="duplicate"}"#, port: second.adminPort)
                return stored + duplicate == Double(batches)
            }
            #expect(redelivered, "the uncommitted batches were delivered again: \(second.log.suffix(1500))")
            second.stop()  // graceful: what it spooled after the restart is uploaded and committed now
            secondRunning = false
            // Everything was committed at that handover: a third process is given nothing again.
            let thirdPort = try TestStack.freePort()
            let third = try ReplaydProcess.start("processor", port: thirdPort, environment: processorSettings)
            defer { third.stop() }
            let thirdAssigned = try await Fixture.eventually(timeout: .seconds(30)) {
                try ProcessPipeline.metric(#"replayd_processor_rebalances_total{event="assigned"}"#, port: third.adminPort) >= 1
            }
            #expect(thirdAssigned, "a third processor joined the group")
            try await Task.sleep(for: .seconds(1))
            #expect(try ProcessPipeline.metric(#"replayd_processor_records_total{result="stored"}"#, port: third.adminPort) == 0)
            #expect(try ProcessPipeline.metric(#"replayd_processor_records_total{result="duplicate"}"#, port: third.adminPort) == 0)
            third.stop()

            // 4. S3 holds the session as playback reads it: every object's lines in seq order, copies
            // identical, together the posted batches once each.
            let keys = try await Fixture.keys(s3, prefix: campaignPrefix)
            #expect(!keys.isEmpty && keys.count <= 2 && keys.allSatisfy { $0.hasPrefix(sessionPrefix) }, "objects: \(keys)")
            var merged: [Int: String] = [:]
            for objectKey in keys {
                let bytes = try Gzip.decompress(try await s3.getObjectBytes(key: objectKey, maxBytes: 64 << 20))
                var lines: [(seq: Int, events: String)] = []
                for line in bytes.split(separator: 0x0A) {
                    lines.append(try #require(ProcessPipeline.parseLine(line), "a line that is not {\"seq\":…,\"events\":…}"))
                }
                #expect(lines.map(\.seq) == Array(0..<batches), "seqs in \(objectKey)")
                for line in lines {
                    if let earlier = merged[line.seq] { #expect(earlier == line.events, "seq \(line.seq) differs between copies") }
                    merged[line.seq] = line.events
                }
            }
            #expect(merged.keys.sorted() == Array(0..<batches) && (0..<batches).allSatisfy { merged[$0] == posted[$0] },
                    "events in S3 equal the posted events")
            let rows = try await Fixture.segmentRows(postgres, campaign: campaign, session: session)
            #expect(rows.count == keys.count && rows.allSatisfy { $0.firstSeq == 0 && $0.lastSeq == Int64(batches - 1) }, "index rows: \(rows)")
            #expect(rows.allSatisfy { $0.eventCount == Int64(batches * eventsPerBatch) })

            for objectKey in keys { try? await s3.deleteObject(key: objectKey) }
            print("kill -9 during multipart upload: done in \(ContinuousClock.now - started)")
        }
    }
}
