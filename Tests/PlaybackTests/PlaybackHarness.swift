import Core
import Database
import Foundation
import Gzip
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Playback
import PostgresNIO
import S3
import StackTestSupport
import TestSupport

/// The real Playback routes over the real stack: Postgres (a database of their own, migrated, so the
/// playback migration never lands in the shared development database first), and the stack's S3
/// bucket, where each test writes segments under a unique prefix.
struct PlaybackHarness: Sendable {
    static let databaseName = "replayd_playback_tests"
    static let linkSecret = "test-link-secret-0123456789abcdef"

    let postgres: PostgresClient
    let s3: S3Client
    let tokens: AnalystTokenStore
    let sessions: SessionStore
    let campaigns: CampaignStore
    let configuration: PlaybackConfiguration
    let logger: Logger

    static func run(
        configure: @Sendable (inout PlaybackConfiguration) -> Void = { _ in },
        _ body: @Sendable (PlaybackHarness) async throws -> Void
    ) async throws {
        let logger = Logger(label: "test.playback")
        try await StackFixtures.createDatabase(databaseName, logger: logger)
        var settings = PlaybackConfiguration(linkSecret: linkSecret)
        settings.rrwebAssetsDirectory = TestStack.rrwebAssetsDirectory
        configure(&settings)
        let configuration = settings
        let s3 = StackFixtures.s3Client(logger: logger)
        try await StackFixtures.withMigratedDatabase(databaseName, logger: logger) { postgres in
            let harness = PlaybackHarness(
                postgres: postgres, s3: s3,
                tokens: AnalystTokenStore(client: postgres, logger: logger),
                sessions: SessionStore(client: postgres, logger: logger),
                campaigns: CampaignStore(client: postgres, logger: logger),
                configuration: configuration, logger: logger)
            try await body(harness)
        }
    }

    func routes(_ configuration: PlaybackConfiguration? = nil) -> PlaybackRoutes<BasicRequestContext> {
        PlaybackRoutes(configuration: configuration ?? self.configuration, tokens: tokens, sessions: sessions, s3: s3,
                       logger: logger)
    }

    func application(_ configuration: PlaybackConfiguration? = nil) -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        routes(configuration).register(on: router)
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
    }

    func campaign() async throws -> Campaign {
        try await campaigns.create(.init(name: TestStack.uniqueName("playback"), allowedOrigins: ["https://shop.example.com"]))
    }

    /// A bearer header with a fresh token (optionally limited to a campaign or already expired).
    func bearer(campaign: UUID? = nil, expiresAt: Date? = nil) async throws -> HTTPFields {
        let (_, secret) = try await tokens.create(name: TestStack.uniqueName("analyst"), campaignID: campaign, expiresAt: expiresAt)
        return [.authorization: "Bearer \(secret)"]
    }

    /// Writes `segments` (each a list of batch lines, in file order) as gzip objects under the Uploader's
    /// key layout and indexes them in `sessions`/`segments` as the Uploader does.
    @discardableResult
    /// Stores each list of batches as one segment (S3 object and index rows). A segment is flagged
    /// `ordered` as the Uploader would (seqs strictly ascending) unless `ordered` says otherwise.
    func storeSession(campaign: UUID, session: String, segments: [[Batch]], firstURL: String? = "https://shop.example.com/checkout",
                      start: Date = Date(), ordered: Bool? = nil) async throws -> [String] {
        var keys: [String] = []
        var allTimestamps: [Int64] = []
        for lines in segments {
            let firstSeq = lines.map(\.seq).min() ?? 0
            let key = "sessions/\(campaign.uuidString.lowercased())/\(session)/\(String(format: "%012d", firstSeq))-\(UUID().uuidString.lowercased()).jsonl.gz"
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("pb-\(UUID().uuidString).jsonl.gz").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let writer = try GzipFileWriter(path: path)
            for line in lines { try writer.write(line.line) }
            try writer.finish()
            _ = try await s3.upload(file: path, key: key, contentType: "application/x-ndjson")
            let size = Int64((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0)
            let timestamps = lines.flatMap(\.timestamps)
            allTimestamps += timestamps
            let first = Date(timeIntervalSince1970: Double(timestamps.min() ?? Int64(start.timeIntervalSince1970 * 1000)) / 1000)
            let last = Date(timeIntervalSince1970: Double(timestamps.max() ?? Int64(start.timeIntervalSince1970 * 1000)) / 1000)
            let events = Int64(lines.reduce(0) { $0 + $1.eventCount })
            let (lowSeq, highSeq) = (Int64(firstSeq), Int64(lines.map(\.seq).max() ?? 0))
            let ascending = ordered ?? zip(lines, lines.dropFirst()).allSatisfy { $0.seq < $1.seq }
            try await postgres.query("""
                INSERT INTO sessions (campaign_id, session_id, started_at, ended_at, event_count, bytes, segment_count, first_url)
                VALUES (\(campaign), \(session), \(first), \(last), \(events), \(size), 1, \(firstURL))
                ON CONFLICT (campaign_id, session_id) DO UPDATE SET
                    started_at = LEAST(sessions.started_at, EXCLUDED.started_at),
                    ended_at = GREATEST(sessions.ended_at, EXCLUDED.ended_at),
                    event_count = sessions.event_count + EXCLUDED.event_count,
                    bytes = sessions.bytes + EXCLUDED.bytes, segment_count = sessions.segment_count + 1
                """, logger: logger)
            try await postgres.query("""
                INSERT INTO segments (object_key, campaign_id, session_id, first_seq, last_seq, first_ts, last_ts, event_count, bytes, ordered)
                VALUES (\(key), \(campaign), \(session), \(lowSeq), \(highSeq), \(first), \(last), \(events), \(size), \(ascending))
                """, logger: logger)
            keys.append(key)
        }
        return keys
    }

    /// Inserts a bare `sessions` row (for listing tests).
    func insertSessionRow(campaign: UUID, session: String, start: Date, durationSeconds: Double = 60, events: Int64 = 10,
                          bytes: Int64 = 1000, firstURL: String? = "https://shop.example.com/") async throws {
        let end = start.addingTimeInterval(durationSeconds)
        try await postgres.query("""
            INSERT INTO sessions (campaign_id, session_id, started_at, ended_at, event_count, bytes, segment_count, first_url)
            VALUES (\(campaign), \(session), \(start), \(end), \(events), \(bytes), 1, \(firstURL))
            """, logger: logger)
    }
}

/// One batch line of a segment file.
struct Batch: Sendable {
    var seq: Int
    /// The raw JSON array of events.
    var events: String
    var timestamps: [Int64]
    var eventCount: Int

    var line: [UInt8] { Array("{\"seq\":\(seq),\"events\":\(events)}\n".utf8) }

    /// A batch of `count` small custom events tagged with the seq (`{"type":5,…,"payload":{"seq":s,"i":i}}`).
    static func marked(_ seq: Int, count: Int = 2, base: Int64 = 1_700_000_000_000) -> Batch {
        let timestamps = (0..<count).map { base + Int64(seq * 100 + $0) }
        let events = (0..<count).map { i in
            "{\"type\":5,\"timestamp\":\(timestamps[i]),\"data\":{\"tag\":\"test\",\"payload\":{\"seq\":\(seq),\"i\":\(i)}}}"
        }
        return Batch(seq: seq, events: "[" + events.joined(separator: ",") + "]", timestamps: timestamps, eventCount: count)
    }

    /// A batch of real rrweb events.
    static func rrweb(_ seq: Int, _ events: [[String: Any]]) throws -> Batch {
        let data = try JSONSerialization.data(withJSONObject: events)
        let timestamps = events.compactMap { ($0["timestamp"] as? NSNumber)?.int64Value }
        return Batch(seq: seq, events: String(decoding: data, as: UTF8.self), timestamps: timestamps, eventCount: events.count)
    }
}

extension TestStack {
    /// The rrweb-player build (`scripts/stack up` links it from the django-rrweb package).
    static var rrwebAssetsDirectory: String {
        ProcessInfo.processInfo.environment["REPLAYD_RRWEB_ASSETS"] ?? repositoryRoot.appendingPathComponent(".stack/rrweb-assets").path
    }
}

extension TestResponse {
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) }
    var errorCode: String? { ((json as? [String: Any])?["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String { ((json as? [String: Any])?["error"] as? [String: Any])?["message"] as? String ?? "" }
    var text: String { String(buffer: body) }
    /// The (seq, i) markers of ``Batch/marked(_:count:base:)`` events, in response order.
    var markers: [[Int]] {
        guard let events = json as? [[String: Any]] else { return [] }
        return events.compactMap { event in
            guard let data = event["data"] as? [String: Any], data["tag"] as? String == "test",
                  let payload = data["payload"] as? [String: Any],
                  let seq = payload["seq"] as? Int, let i = payload["i"] as? Int else { return nil }
            return [seq, i]
        }
    }
}
