import Core
import Crypto
import Foundation
import Gzip
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
@testable import Playback
import PostgresNIO
import S3
import Synchronization
import TestSupport
import Testing

/// Consumes a response body without keeping it: counts bytes and hashes them.
final class DigestSink: Sendable {
    struct State {
        var hasher = SHA256()
        var bytes = 0
        var finished = false
        var trailers: HTTPFields?
    }
    let state = Mutex(State())
}

struct DigestWriter: ResponseBodyWriter {
    let sink: DigestSink

    mutating func write(_ buffer: ByteBuffer) async throws {
        sink.state.withLock { state in
            buffer.withUnsafeReadableBytes { state.hasher.update(bufferPointer: $0) }
            state.bytes += buffer.readableBytes
        }
    }

    mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
        for buffer in buffers { try await write(buffer) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        sink.state.withLock {
            $0.finished = true
            $0.trailers = trailingHeaders
        }
    }
}

@Suite("Large sessions stream with flat memory")
struct LargeSessionTests {
    static let batches = 3200
    static let eventsPerBatch = 64
    static let padding = String(repeating: "lorem ipsum dolor sit amet ", count: 36)  // ~1 KiB per event

    /// The events array content (without brackets) of one batch: deterministic, ~64 KiB.
    static func content(_ seq: Int) -> String {
        (0..<eventsPerBatch).map { i in
            "{\"type\":3,\"timestamp\":\(1_700_000_000_000 + seq * 100 + i),\"data\":{\"source\":0,\"text\":\"\(seq)-\(i) \(padding)\"}}"
        }.joined(separator: ",")
    }

    @Test("200 MiB across overlapping, partly unordered segments: right bytes, RSS growth ≤ 16 MiB")
    func flatMemory() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("big")
            // Four segments; the second overlaps the first by 100 batches (one run, sorted), the third
            // is written in swapped pairs (out of order within the file: sorted), the fourth is in
            // order and flagged so (played as it decompresses).
            let ranges = [0..<900, 800..<1700, 1700..<2500, 2500..<Self.batches]
            var uncompressed = 0
            for (index, range) in ranges.enumerated() {
                var order = Array(range)
                if index == 2 { order = stride(from: range.lowerBound, to: range.upperBound, by: 2).flatMap { [$0 + 1, $0] } }
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("pb-big-\(UUID().uuidString).gz").path
                defer { try? FileManager.default.removeItem(atPath: path) }
                let writer = try GzipFileWriter(path: path, level: 1)
                for seq in order {
                    let line = Array("{\"seq\":\(seq),\"events\":[\(Self.content(seq))]}\n".utf8)
                    uncompressed += line.count
                    try writer.write(line)
                }
                try writer.finish()
                let key = "sessions/\(campaign.id.uuidString.lowercased())/\(session)/\(String(format: "%012d", range.lowerBound))-\(UUID().uuidString.lowercased()).jsonl.gz"
                _ = try await harness.s3.upload(file: path, key: key)
                let size = Int64((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0)
                let start = Date(timeIntervalSince1970: 1_700_000_000)
                let (first, last) = (Int64(range.lowerBound), Int64(range.upperBound - 1))
                let events = Int64(range.count * Self.eventsPerBatch)
                try await harness.postgres.query("""
                    INSERT INTO sessions (campaign_id, session_id, started_at, ended_at, event_count, bytes, segment_count)
                    VALUES (\(campaign.id), \(session), \(start), \(start.addingTimeInterval(320)), \(events), \(size), 1)
                    ON CONFLICT (campaign_id, session_id) DO UPDATE SET segment_count = sessions.segment_count + 1
                    """, logger: harness.logger)
                try await harness.postgres.query("""
                    INSERT INTO segments (object_key, campaign_id, session_id, first_seq, last_seq, first_ts, last_ts, event_count, bytes, ordered)
                    VALUES (\(key), \(campaign.id), \(session), \(first), \(last), \(start), \(start), \(events), \(size), \(index != 2))
                    """, logger: harness.logger)
            }
            #expect(uncompressed > 200 << 20, "the fixture must be large: \(uncompressed) bytes")

            let auth = try await harness.bearer()
            let routes = harness.routes()
            let request = Request(
                head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/v1/sessions/\(session)/events",
                                  headerFields: auth),
                body: RequestBody(buffer: ByteBuffer()))
            let sink = DigestSink()

            ProcessMemory.resetPeak()
            let baseline = ProcessMemory.residentBytes()
            let response = try await routes.events(request, session: session)
            #expect(response.status == .ok)
            try await response.body.write(DigestWriter(sink: sink))
            let growth = ProcessMemory.peakResidentBytes() - baseline

            let streamed = sink.state.withLock { ($0.hasher.finalize(), $0.bytes, $0.finished) }
            let trailers = sink.state.withLock { $0.trailers }
            #expect(streamed.2)
            #expect(trailers?[HTTPField.Name("X-Replayd-Sequence-Gaps")!] == nil)
            #expect(trailers?[HTTPField.Name("X-Replayd-Batches")!] == String(Self.batches))
            #expect(streamed.1 > 200 << 20)
            var expected = SHA256()
            expected.update(data: Array("[".utf8))
            for seq in 0..<Self.batches {
                if seq > 0 { expected.update(data: Array(",".utf8)) }
                expected.update(data: Array(Self.content(seq).utf8))
            }
            expected.update(data: Array("]".utf8))
            #expect(streamed.0 == expected.finalize(), "the merged stream differs from the batches in seq order")
            #expect(growth <= 16 << 20, "RSS grew by \(growth >> 20) MiB while streaming \(streamed.1 >> 20) MiB")
        }
    }
}
