import Core
import Foundation
import Gzip
import HTTPTypes
import HTTPSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import Playback
import S3
import Synchronization
import TestSupport
import Testing

/// Records what a response body writer received, and how much of the session's segments had been
/// decompressed to the temporary directory when the first bytes went out.
final class FirstWriteProbe: Sendable {
    struct State {
        var body: [UInt8] = []
        var decodedAtFirstWrite: Int64?
        var trailers: HTTPFields?
    }
    let state = Mutex(State())
    let directory: String

    init(directory: String) { self.directory = directory }

    /// Bytes of decompressed segment files (`*.jsonl`) in the temporary directory now.
    func decodedBytes() -> Int64 {
        var total: Int64 = 0
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let name = enumerator?.nextObject() as? String {
            guard name.hasSuffix(".jsonl") else { continue }
            let size = (try? FileManager.default.attributesOfItem(atPath: (directory as NSString).appendingPathComponent(name))[.size]) as? NSNumber
            total += size?.int64Value ?? 0
        }
        return total
    }
}

struct ProbeWriter: ResponseBodyWriter {
    let probe: FirstWriteProbe

    mutating func write(_ buffer: ByteBuffer) async throws {
        let decoded = probe.state.withLock { $0.decodedAtFirstWrite } == nil ? probe.decodedBytes() : nil
        probe.state.withLock { state in
            if state.decodedAtFirstWrite == nil { state.decodedAtFirstWrite = decoded }
            state.body += buffer.readableBytesView
        }
    }

    mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
        for buffer in buffers { try await write(buffer) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        probe.state.withLock { $0.trailers = trailingHeaders }
    }
}

@Suite("GET /v1/sessions/{id}/events plays ordered segments as they decompress")
struct LiveStreamTests {
    static let batches = 600

    /// ~32 KiB of events per batch, deterministic, about as compressible as rrweb JSON.
    static func batch(_ seq: Int) -> Batch {
        var state = UInt64(seq + 1) &* 0x9E37_79B9_7F4A_7C15
        let words = ["div", "span", "class", "button", "item", "price", "cart", "nav", "main", "img", "href", "style"]
        let padding = (0..<150).map { _ -> String in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return words[Int(state >> 60) % words.count] + String(state >> 44, radix: 36)
        }.joined(separator: " ")
        let events = (0..<24).map { i in
            "{\"type\":3,\"timestamp\":\(1_700_000_000_000 + seq * 100 + i),\"data\":{\"source\":0,\"text\":\"\(padding)\"}}"
        }
        return Batch(seq: seq, events: "[" + events.joined(separator: ",") + "]",
                     timestamps: (0..<24).map { Int64(1_700_000_000_000 + seq * 100 + $0) }, eventCount: 24)
    }

    @Test("the first bytes leave while most of an ordered segment is still undecoded; the rest follows in order")
    func firstBytesBeforeTheSegmentIsRead() async throws {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("pb-live-\(UUID().uuidString)").path
        try await PlaybackHarness.run(configure: { $0.temporaryDirectory = temporary }) { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("live")
            let batches = (0..<Self.batches).map(Self.batch)
            // Two runs: one ordered segment of ~19 MiB, then another ordered one.
            try await harness.storeSession(campaign: campaign.id, session: session,
                                           segments: [Array(batches[0..<500]), Array(batches[500...])])
            let total = batches.reduce(0) { $0 + $1.line.count }
            let (probe, result) = try await Self.play(harness, session: session, temporary: temporary)
            try result.get()
            let (body, decodedAtFirst, trailers) = probe.state.withLock { ($0.body, $0.decodedAtFirstWrite, $0.trailers) }
            let decoded = try #require(decodedAtFirst)
            #expect(decoded < Int64(total / 4),
                    "\(decoded) of \(total) bytes were decompressed before the first byte went out")
            var expected = "["
            expected += batches.map { String($0.events.dropFirst().dropLast()) }.joined(separator: ",")
            expected += "]"
            #expect(body == Array(expected.utf8), "the stream differs from the batches in seq order")
            #expect(trailers?[HTTPField.Name("X-Replayd-Batches")!] == String(Self.batches))
            #expect(trailers?[HTTPField.Name("X-Replayd-Missing-Batches")!] == "0")
            #expect(trailers?[HTTPField.Name("X-Replayd-Sequence-Gaps")!] == nil)
        }
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        #expect(leftovers.isEmpty, "temporary files left behind: \(leftovers)")
    }

    /// One batch of `events` copies of ``batch(_:)``'s events: a long line, like a first batch
    /// holding the page's full snapshot.
    static func longBatch(_ seq: Int, copies: Int) -> Batch {
        let inner = (0..<copies).map { String(batch(seq * 1000 + $0).events.dropFirst().dropLast()) }.joined(separator: ",")
        return Batch(seq: seq, events: "[" + inner + "]", timestamps: [1_700_000_000_000], eventCount: copies * 24)
    }

    /// Asks for the session's events through the routes; returns what the writer received.
    static func play(_ harness: PlaybackHarness, session: String, temporary: String) async throws
        -> (probe: FirstWriteProbe, result: Result<Void, any Error>) {
        let request = Request(
            head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/v1/sessions/\(session)/events",
                              headerFields: try await harness.bearer()),
            body: RequestBody(buffer: ByteBuffer()))
        let response = try await harness.routes().events(request, session: session)
        #expect(response.status == .ok)
        #expect(response.headers[.contentLength] == nil)
        let probe = FirstWriteProbe(directory: temporary)
        do {
            try await response.body.write(ProbeWriter(probe: probe))
            return (probe, .success(()))
        } catch {
            return (probe, .failure(error))
        }
    }

    @Test("a long batch line goes out while it still decodes: the first bytes leave before most of it is decompressed")
    func firstBytesInsideTheFirstBatch() async throws {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("pb-live-\(UUID().uuidString)").path
        try await PlaybackHarness.run(configure: { $0.temporaryDirectory = temporary }) { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("live")
            // A first batch of ~8 MiB, then small ones (one segment: the first line decides the first byte).
            let batches = [Self.longBatch(0, copies: 260)] + (1..<40).map(Self.batch)
            try await harness.storeSession(campaign: campaign.id, session: session, segments: [batches])
            let (probe, result) = try await Self.play(harness, session: session, temporary: temporary)
            try result.get()
            let (body, decodedAtFirst, trailers) = probe.state.withLock { ($0.body, $0.decodedAtFirstWrite, $0.trailers) }
            let first = batches[0].line.count
            let decoded = try #require(decodedAtFirst)
            #expect(decoded < Int64(first / 4), "\(decoded) of the first batch's \(first) bytes were decompressed before the first byte went out")
            let expected = "[" + batches.map { String($0.events.dropFirst().dropLast()) }.joined(separator: ",") + "]"
            #expect(body == Array(expected.utf8), "the stream differs from the batches in seq order")
            #expect(trailers?[HTTPField.Name("X-Replayd-Batches")!] == "40")
            #expect(trailers?[HTTPField.Name("X-Replayd-Missing-Batches")!] == "0")
        }
    }

    @Test("a long line sent while it decodes that turns out not to be a batch line cuts the response off (no trailers), never invalid JSON passed as whole",
          arguments: [false, true])
    func cutInsideALongLine(followedByAnother: Bool) async throws {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("pb-live-\(UUID().uuidString)").path
        try await PlaybackHarness.run(configure: { $0.temporaryDirectory = temporary }) { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("live")
            var broken = Self.longBatch(1, copies: 60)
            broken.events.removeLast()  // `{"seq":1,"events":[…}`: no closing bracket
            let batches = [Self.batch(0), broken] + (followedByAnother ? [Self.batch(2)] : [])
            try await harness.storeSession(campaign: campaign.id, session: session, segments: [batches], ordered: true)
            let (probe, result) = try await Self.play(harness, session: session, temporary: temporary)
            let (body, trailers) = probe.state.withLock { ($0.body, $0.trailers) }
            guard case .failure(let error) = result else {
                Issue.record("the stream ended normally: \(String(decoding: body.suffix(200), as: UTF8.self))")
                return
            }
            #expect((error as? PlaybackError)?.code == "unavailable", "\(error)")
            #expect(trailers == nil, "the response must not end as if complete")
            let sentOfBroken = body.count - 1 - (Self.batch(0).events.count - 2) - 1
            #expect(sentOfBroken > 0, "the long line was not sent while it decoded, so this test tests nothing")
        }
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        #expect(leftovers.isEmpty, "temporary files left behind: \(leftovers)")
    }

    @Test("a segment wrongly flagged ordered still plays each batch once: identical copies left out, conflicts kept")
    func wrongFlag() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            let other = Batch.marked(1, count: 3, base: 1_700_000_050_000)
            try await harness.storeSession(campaign: campaign.id, session: session,
                                           segments: [[.marked(0), .marked(2), .marked(1), .marked(2), other, .marked(4)]],
                                           ordered: true)
            let auth = try await harness.bearer()
            try await harness.application().test(.router) { client in
                try await client.execute(uri: "/v1/sessions/\(session)/events", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    // Played where they stand: 0, 2, 1, (2 again: a copy, left out), 1 (other events), 4.
                    #expect(response.markers == [[0, 0], [0, 1], [2, 0], [2, 1], [1, 0], [1, 1], [1, 0], [1, 1], [1, 2], [4, 0], [4, 1]])
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Batches")!] == "5")
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Conflicting-Batches")!] == "1")
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Sequence-Gaps")!] == "3")
                }
            }
        }
    }

    @Test("runs: a segment overlapping the ones before joins their run, any other starts a new one")
    func runs() {
        func segment(_ first: Int64, _ last: Int64) -> SegmentRecord {
            SegmentRecord(objectKey: "k\(first)", firstSeq: first, lastSeq: last, eventCount: 1, bytes: 10)
        }
        #expect(SegmentGroups([]).runs == [])
        #expect(SegmentGroups([segment(0, 9)]).runs == [0..<1])
        #expect(SegmentGroups([segment(0, 9), segment(10, 19), segment(20, 29)]).runs == [0..<1, 1..<2, 2..<3])
        #expect(SegmentGroups([segment(0, 9), segment(5, 12), segment(13, 20)]).runs == [0..<2, 2..<3])
        // A long segment covers later ones; equal first seqs overlap.
        #expect(SegmentGroups([segment(0, 100), segment(10, 19), segment(50, 60), segment(101, 101), segment(101, 105)]).runs
                == [0..<3, 3..<5])
        #expect(SessionEventStream.peakCompressedBytes([segment(0, 9), segment(5, 12), segment(13, 20), segment(21, 22)]) == 30)
    }
}
