import ArgumentParser
import Core
import Curl
import Database
import Foundation
import Gzip
import Hummingbird
import Logging
import NIOCore
import Playback
import PostgresNIO
import ReplaydKit
import S3
import ServiceLifecycle
import Synchronization

/// `replayd-bench playback`: time to the first event byte of `GET /v1/sessions/{id}/events` for
/// sessions of 1, 100 and 500 MiB of rrweb JSON, against a plain S3 GET of each session's first
/// segment measured in the same run (the ceiling: playback cannot start before that segment has
/// been read, unless it streams it).
///
/// Sessions are made of the fixture recordings, cut into batches and written as segments of
/// `--segment-mib` MiB of JSON (gzip level 6, as the Uploader writes them; a 1 MiB session is one
/// segment), in a database of its own (`<database>_playback_bench`, dropped after unless `--keep`)
/// and under `bench-playback/` in the bucket. The Playback routes run in this process on a
/// loopback port; requests go through curl, as any client's would. Two requests are timed: an API
/// client's, and the replay page player's, which names the first segment (`first_segment`) so that
/// its download starts beside the index lookup. Each response is read to its end before the next
/// request.
struct BenchPlaybackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "playback", abstract: "Time to the first event byte of a session's events vs a plain S3 GET (benchmark).")

    @Option(help: "Directory of rrweb recordings (*.json).") var fixtures: String = "../shared/fixtures/rrweb"
    @Option(help: "Session sizes in MiB of rrweb JSON, comma-separated.") var sizes: String = "1,100,500"
    @Option(help: "MiB of rrweb JSON per segment.") var segmentMib: Int = 16
    @Option(help: "Timed runs per measurement; the median is reported.") var runs: Int = 7
    @Flag(help: "Also stream each session to its end once and report the rate.") var full = false
    @Flag(help: "Keep the database and the objects (reruns skip writing them).") var keep = false
    @Flag(help: "Flag the segments as not ordered, so each is read whole and sorted before it plays (as after a crash).")
    var unordered = false

    func run() async throws {
        let config = try ReplaydConfiguration.load()
        Observability.bootstrapLogging(logLevel: .warning)
        let logger = Logger(label: "bench.playback")
        let sizes = try self.sizes.split(separator: ",").map { text -> Int in
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value > 0 else { throw ValidationError("bad size \(text)") }
            return value
        }
        let database = try await BenchDatabase.open(config.postgres, suffix: "playback_bench", logger: logger)
        let exists = database.existed
        let s3 = try config.makeS3Client(logger: logger)
        let fixtures = self.fixtures, segmentMib = segmentMib, runs = runs, full = full, unordered = unordered
        var playback = config.playback
        playback.linkSecret = playback.linkSecret ?? "bench-playback-link-secret-0123456789"
        let settings = playback
        try await PostgresClient.withClient(database.target, logger: logger) { client in
            _ = try await Migrator(logger: logger).migrate(client)
            let campaign = try await Self.campaign(client, logger: logger)
            var sessions: [BenchSession] = []
            for size in sizes {
                sessions.append(try await Self.session(size: size, segmentMib: segmentMib, fixtures: fixtures, campaign: campaign,
                                                       reuse: exists, client: client, s3: s3, logger: logger))
            }
            try await client.query("UPDATE segments SET ordered = \(!unordered) WHERE campaign_id = \(campaign)", logger: logger)
            print(unordered ? "segments flagged not ordered: each is read whole and sorted before it plays"
                            : "segments flagged ordered (as the Uploader writes them): each plays as it decompresses")
            let secret = try await AnalystTokenStore(client: client, logger: logger).create(name: "bench").secret
            let written = sessions
            try await Self.serve(settings, client: client, s3: s3, logger: logger) { port in
                try await Self.measure(written, port: port, secret: secret, s3: s3, runs: runs, full: full)
            }
            if !keep {
                for session in sessions {
                    for key in session.keys { try? await s3.deleteObject(key: key) }
                }
            }
        }
        if !keep { try await database.drop(logger: logger) }
    }

    struct BenchSession: Sendable {
        var id: String
        var mib: Int
        var keys: [String]
        var firstSegmentBytes: Int64
        var campaign: UUID
    }

    static func campaign(_ client: PostgresClient, logger: Logger) async throws -> UUID {
        let rows = try await client.query("SELECT id FROM campaigns WHERE name = 'playback-bench'", logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        return try await CampaignStore(client: client, logger: logger).create(.init(name: "playback-bench", allowedOrigins: ["*"])).id
    }

    /// Writes (or finds) the session of `size` MiB: ordered segments of `segmentMib` MiB, as the Uploader makes them.
    static func session(size: Int, segmentMib: Int, fixtures: String, campaign: UUID, reuse: Bool, client: PostgresClient,
                        s3: S3Client, logger: Logger) async throws -> BenchSession {
        let id = "ttfb-\(size)mib-\(segmentMib)"
        if reuse {
            let rows = try await client.query("""
                SELECT object_key, bytes FROM segments WHERE campaign_id = \(campaign) AND session_id = \(id) ORDER BY first_seq
                """, logger: logger)
            var keys: [String] = [], first: Int64 = 0
            for try await (key, bytes) in rows.decode((String, Int64).self) {
                if keys.isEmpty { first = bytes }
                keys.append(key)
            }
            if !keys.isEmpty { return BenchSession(id: id, mib: size, keys: keys, firstSegmentBytes: first, campaign: campaign) }
        }
        let slices = try FixtureSlices.load(fixtures, eventsPerBatch: 40, movedToNow: false)
        let total = size << 20, perSegment = segmentMib << 20
        let start = Date().addingTimeInterval(-3600)
        var written = 0, seq = 0
        var keys: [String] = [], firstBytes: Int64 = 0
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bench-playback-\(UUID().uuidString).gz").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        while written < total {
            let firstSeq = seq
            try? FileManager.default.removeItem(atPath: scratch)  // the writer appends to an existing file
            let writer = try GzipFileWriter(path: scratch, level: 6)
            var segmentBytes = 0, events = 0
            while segmentBytes < perSegment, written < total {
                let slice = slices[seq % slices.count]
                let line = Array("{\"seq\":\(seq),\"events\":".utf8) + slice + Array("}\n".utf8)
                try writer.write(line)
                segmentBytes += line.count
                written += line.count
                events += 40
                seq += 1
            }
            try writer.finish()
            let key = "bench-playback/\(campaign.uuidString.lowercased())/\(id)/\(String(format: "%012d", firstSeq))-\(UUID().uuidString.lowercased()).jsonl.gz"
            _ = try await s3.upload(file: scratch, key: key, contentType: "application/x-ndjson")
            let bytes = Int64((try FileManager.default.attributesOfItem(atPath: scratch)[.size] as? NSNumber)?.intValue ?? 0)
            if keys.isEmpty { firstBytes = bytes }
            keys.append(key)
            let (low, high) = (Int64(firstSeq), Int64(seq - 1))
            try await client.query("""
                INSERT INTO sessions (campaign_id, session_id, started_at, ended_at, event_count, bytes, segment_count)
                VALUES (\(campaign), \(id), \(start), \(start.addingTimeInterval(1800)), \(Int64(events)), \(bytes), 1)
                ON CONFLICT (campaign_id, session_id) DO UPDATE SET segment_count = sessions.segment_count + 1,
                    bytes = sessions.bytes + EXCLUDED.bytes, event_count = sessions.event_count + EXCLUDED.event_count
                """, logger: logger)
            try await client.query("""
                INSERT INTO segments (object_key, campaign_id, session_id, first_seq, last_seq, first_ts, last_ts, event_count, bytes, ordered)
                VALUES (\(key), \(campaign), \(id), \(low), \(high), \(start), \(start), \(Int64(events)), \(bytes), true)
                """, logger: logger)
        }
        print(String(format: "wrote session %@: %d MiB of JSON in %d segments (first %.1f MiB gzip)", id, size, keys.count,
                     Double(firstBytes) / 1_048_576))
        return BenchSession(id: id, mib: size, keys: keys, firstSegmentBytes: firstBytes, campaign: campaign)
    }

    /// Runs the Playback routes on a loopback port while `body` runs.
    static func serve(_ configuration: PlaybackConfiguration, client: PostgresClient, s3: S3Client, logger: Logger,
                      _ body: @Sendable (Int) async throws -> Void) async throws {
        let router = Router(context: BasicRequestContext.self)
        PlaybackRoutes<BasicRequestContext>(
            configuration: configuration, tokens: AnalystTokenStore(client: client, logger: logger),
            sessions: SessionStore(client: client, logger: logger), s3: s3, logger: logger
        ).register(on: router)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "bench-playback"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw ValidationError("the playback server did not start") }
            try await body(port)
            group.cancelAll()
        }
    }

    static func measure(_ sessions: [BenchSession], port: Int, secret: String, s3: S3Client, runs: Int, full: Bool) async throws {
        let http = CurlClient()
        defer { Task { await http.close() } }
        let clock = ContinuousClock()
        print("| session | segments | first segment (gzip) | S3 GET of the first segment (whole) | S3 first byte | events first byte | ratio | player's request (first_segment) first byte | ratio |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        var ratios: [Double] = [], playerRatios: [Double] = []
        for session in sessions {
            guard let firstKey = session.keys.first else { continue }
            var whole: [Double] = [], s3First: [Double] = [], events: [Double] = [], player: [Double] = []
            // Warm-up of each path, then alternating timed runs. Every response is read to its end,
            // and the machine left alone for a moment (``settle``), before the next request, so
            // that no measurement shares the cores with what the one before left running (a
            // stream left half-read keeps the server decoding; a long one leaves the kernel
            // writing back and freeing its temporary files).
            _ = try await s3.getObjectBytes(key: firstKey, maxBytes: 1 << 30)
            _ = try await firstEventByte(http, port: port, session: session, secret: secret, hinted: false, clock: clock)
            _ = try await firstEventByte(http, port: port, session: session, secret: secret, hinted: true, clock: clock)
            for run in 0..<runs {
                try await Task.sleep(for: Self.settle)
                let started = clock.now
                _ = try await s3.getObjectBytes(key: firstKey, maxBytes: 1 << 30)
                whole.append(milliseconds(clock.now - started))
                try await Task.sleep(for: Self.settle)
                let streamStart = clock.now
                let stream = try await s3.getObject(key: firstKey)
                var iterator = stream.makeAsyncIterator()
                _ = try await iterator.next()
                s3First.append(milliseconds(clock.now - streamStart))
                while try await iterator.next() != nil {}
                // Both events requests, in turns first.
                for hinted in run % 2 == 0 ? [false, true] : [true, false] {
                    try await Task.sleep(for: Self.settle)
                    let time = try await firstEventByte(http, port: port, session: session, secret: secret, hinted: hinted, clock: clock)
                    if hinted { player.append(time) } else { events.append(time) }
                }
            }
            let ratio = median(events) / median(whole), playerRatio = median(player) / median(whole)
            ratios.append(ratio)
            playerRatios.append(playerRatio)
            print(String(format: "| %d MiB | %d | %.1f MiB | %.1f ms | %.1f ms | %.1f ms | %.2f | %.1f ms | %.2f |", session.mib, session.keys.count,
                         Double(session.firstSegmentBytes) / 1_048_576, median(whole), median(s3First), median(events), ratio,
                         median(player), playerRatio))
        }
        print(String(format: "worst ratio: %.2f without first_segment, %.2f with it, as the replay page asks (target ≤ 1.5 and the same for every size)",
                     ratios.max() ?? 0, playerRatios.max() ?? 0))
        if full {
            for session in sessions {
                let started = clock.now
                let (head, body) = try await http.stream(request(port: port, session: session, secret: secret, hinted: false))
                var bytes = 0
                for try await chunk in body { bytes += chunk.count }
                let seconds = Double((clock.now - started).components.attoseconds) / 1e18 + Double((clock.now - started).components.seconds)
                print(String(format: "whole stream of %d MiB: HTTP %d, %.0f MiB in %.2f s (%.0f MiB/s)", session.mib, head.status,
                             Double(bytes) / 1_048_576, seconds, Double(bytes) / 1_048_576 / seconds))
            }
        }
    }

    /// The pause before each timed request.
    static let settle = Duration.milliseconds(25)

    /// The events request: as an API client makes it, or as the replay page's player makes it
    /// (`hinted`: naming the first segment, as the page does when that segment plays as it decompresses).
    static func request(port: Int, session: BenchSession, secret: String, hinted: Bool) -> CurlRequest {
        var url = "http://127.0.0.1:\(port)/v1/sessions/\(session.id)/events?campaign=\(session.campaign.uuidString.lowercased())"
        if hinted, let first = session.keys.first { url += "&first_segment=\(first)" }
        return CurlRequest(method: "GET", url: url, headers: [HTTPHeader(name: "Authorization", value: "Bearer \(secret)")])
    }

    /// Milliseconds from the request to the first body bytes holding an event (more than the `[`);
    /// the rest of the body is then read to its end.
    static func firstEventByte(_ http: CurlClient, port: Int, session: BenchSession, secret: String, hinted: Bool,
                               clock: ContinuousClock) async throws -> Double {
        let started = clock.now
        let (head, body) = try await http.stream(request(port: port, session: session, secret: secret, hinted: hinted))
        guard head.status == 200 else { throw ValidationError("events of \(session.id): HTTP \(head.status)") }
        var received = 0
        var elapsed: Double?
        for try await chunk in body {
            received += chunk.count
            if elapsed == nil, received > 1 { elapsed = milliseconds(clock.now - started) }
        }
        guard let elapsed else { throw ValidationError("events of \(session.id): empty body") }
        return elapsed
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
