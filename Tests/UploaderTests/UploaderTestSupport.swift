import Core
import Database
import Foundation
import Gzip
import Logging
import PostgresNIO
import S3
import Testing
import StackTestSupport
import TestSupport
@testable import Uploader

/// All Uploader tests run one after another: the memory test measures this process's RSS, and the
/// stack's disks are shared.
@Suite(.serialized) struct UploaderTests {}

enum Fixture {
    static let logger: Logger = {
        var logger = Logger(label: "UploaderTests")
        logger.logLevel = .warning
        return logger
    }()

    /// A fresh directory for one test.
    static func temporaryDirectory(_ name: String = "spool") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("uploader-\(name)")).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static var fixturesDirectory: URL {
        let preferred = TestStack.fixturesDirectory
        if FileManager.default.fileExists(atPath: preferred.path) { return preferred }
        return URL(fileURLWithPath: "/work/shared/fixtures/rrweb")
    }

    /// One batch's worth of events, serialised once.
    struct Blob: Sendable {
        var events: [UInt8]
        var count: Int
        var firstTimestamp: Double
        var lastTimestamp: Double
        var pageURL: String?
    }

    /// Batches cut from the rrweb recordings (5–20 events each).
    static let blobs: [Blob] = {
        var blobs: [Blob] = []
        let files = (try? FileManager.default.contentsOfDirectory(atPath: fixturesDirectory.path))?.filter { $0.hasSuffix(".json") }.sorted() ?? []
        for name in files {
            guard let data = FileManager.default.contents(atPath: fixturesDirectory.appendingPathComponent(name).path),
                  let events = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { continue }
            var start = 0
            var size = 5
            while start < events.count {
                let slice = Array(events[start..<min(events.count, start + size)])
                let bytes = try! JSONSerialization.data(withJSONObject: slice)
                let timestamps = slice.compactMap { ($0["timestamp"] as? NSNumber)?.doubleValue }
                let url = slice.first { ($0["type"] as? NSNumber)?.intValue == 4 }.flatMap { ($0["data"] as? [String: Any])?["href"] as? String }
                blobs.append(Blob(events: Array(bytes), count: slice.count, firstTimestamp: timestamps.min() ?? 0,
                                  lastTimestamp: timestamps.max() ?? 0, pageURL: url))
                start += size
                size = size % 20 + 5
            }
        }
        precondition(blobs.count > 20, "rrweb fixtures not found in \(fixturesDirectory.path)")
        return blobs
    }()

    static func blob(session: Int, seq: Int) -> Blob {
        blobs[(session &* 31 &+ seq &* 7) % blobs.count]
    }

    static func record(campaign: UUID, session: String, seq: Int, blob: Blob) -> SpoolRecord {
        SpoolRecord(campaignID: campaign, session: session, seq: seq, eventCount: blob.count, firstTimestamp: blob.firstTimestamp,
                    lastTimestamp: blob.lastTimestamp, pageURL: blob.pageURL, events: blob.events)
    }

    /// The line the spool stores for a batch.
    static func line(seq: Int, events: [UInt8]) -> [UInt8] {
        Array("{\"seq\":\(seq),\"events\":".utf8) + events + Array("}".utf8)
    }

    /// Decompressed lines of a gzip file (complete files only unless `allowTruncatedTail`).
    static func lines(ofGzip path: String, allowTruncatedTail: Bool = false) throws -> [[UInt8]] {
        var content: [UInt8] = []
        try GzipFileReader(path: path, allowTruncatedTail: allowTruncatedTail).read { content.append(contentsOf: $0) }
        var lines = content.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Segment files in a spool directory, by session.
    static func segmentFiles(in directory: String) throws -> [String: [String]] {
        var bySession: [String: [String]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            guard let parsed = SegmentFileName.parse(name) else { continue }
            bySession[parsed.session, default: []].append(directory + "/" + name)
        }
        return bySession
    }

    static func s3Client(endpoint: String = TestStack.s3Endpoint, logLevel: Logger.Level = .warning, _ adjust: (inout S3Configuration) -> Void = { _ in }) -> S3Client {
        var logger = Self.logger
        logger.logLevel = logLevel
        return StackFixtures.s3Client(endpoint: endpoint, logger: logger, adjust)
    }

    /// Runs `body` with a migrated database and a fresh campaign.
    static func withDatabase<T: Sendable>(_ body: @Sendable (PostgresClient, UUID) async throws -> T) async throws -> T {
        try await StackFixtures.withMigratedDatabase(logger: logger) { client in
            let campaign = try await CampaignStore(client: client, logger: logger).create(.init(name: TestStack.uniqueName("uploader"), allowedOrigins: ["http://localhost"]))
            return try await body(client, campaign.id)
        }
    }

    static func uploaderConfiguration(prefix: String) -> SegmentUploaderConfiguration {
        var configuration = SegmentUploaderConfiguration()
        configuration.keyPrefix = prefix
        configuration.checkInterval = .milliseconds(100)
        configuration.retryBaseDelay = .milliseconds(100)
        configuration.retryMaxDelay = .milliseconds(400)
        return configuration
    }

    /// Keys under `prefix`, in listing order.
    static func keys(_ s3: S3Client, prefix: String) async throws -> [String] {
        var keys: [String] = []
        for try await object in s3.listObjects(prefix: prefix) { keys.append(object.key) }
        return keys
    }

    /// Downloads an object and returns its decompressed lines (the object must be a complete gzip stream).
    static func objectLines(_ s3: S3Client, key: String, scratch: String) async throws -> [[UInt8]] {
        let path = scratch + "/download-\(UUID().uuidString).gz"
        try await s3.getObject(key: key, toFile: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try lines(ofGzip: path)
    }

    struct SessionRow: Equatable {
        var eventCount: Int64
        var bytes: Int64
        var segmentCount: Int32
        var firstURL: String?
    }

    static func sessionRow(_ client: PostgresClient, campaign: UUID, session: String) async throws -> SessionRow? {
        let rows = try await client.query("SELECT event_count, bytes, segment_count, first_url FROM sessions WHERE campaign_id = \(campaign) AND session_id = \(session)")
        for try await (events, bytes, segments, url) in rows.decode((Int64, Int64, Int32, String?).self) {
            return SessionRow(eventCount: events, bytes: bytes, segmentCount: segments, firstURL: url)
        }
        return nil
    }

    struct SegmentRow: Equatable {
        var key: String
        var firstSeq: Int64
        var lastSeq: Int64
        var eventCount: Int64
        var bytes: Int64
        /// Lines ascending by seq, each once (playback streams such a segment as it decompresses).
        var ordered = true
    }

    static func segmentRows(_ client: PostgresClient, campaign: UUID, session: String) async throws -> [SegmentRow] {
        let rows = try await client.query("SELECT object_key, first_seq, last_seq, event_count, bytes, ordered FROM segments WHERE campaign_id = \(campaign) AND session_id = \(session) ORDER BY object_key")
        var result: [SegmentRow] = []
        for try await (key, first, last, events, bytes, ordered) in rows.decode((String, Int64, Int64, Int64, Int64, Bool).self) {
            result.append(SegmentRow(key: key, firstSeq: first, lastSeq: last, eventCount: events, bytes: bytes, ordered: ordered))
        }
        return result
    }

    /// Polls `condition` until it holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }
}

import ServiceLifecycle

extension Fixture {
    /// Runs the uploader in a `ServiceGroup` and triggers a graceful shutdown after `delay`.
    static func runUntilGracefulShutdown(_ uploader: SegmentUploader, after delay: Duration) async throws {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [uploader], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: delay)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
