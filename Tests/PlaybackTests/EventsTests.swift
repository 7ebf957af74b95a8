import Core
import NIOCore
import S3
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Playback
import Hummingbird
import TestSupport
import Testing

@Suite("GET /v1/sessions/{id}/events")
struct EventsTests {
    @Test("out-of-order and duplicated batches (seq 3, 1, 2, 2) play back in order, once")
    func orderAndDeduplication() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            // Segment 1 holds seq 0, 3 and 1 (in that file order); segment 2 holds 2 twice and 3 again.
            try await harness.storeSession(campaign: campaign.id, session: session, segments: [
                [.marked(0), .marked(3), .marked(1)],
                [.marked(2), .marked(2), .marked(3)],
            ])
            let auth = try await harness.bearer()
            try await harness.application().test(.router) { client in
                try await client.execute(uri: "/v1/sessions/\(session)/events", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/json")
                    #expect(response.markers == [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1], [3, 0], [3, 1]])
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Sequence-Gaps")!] == nil)
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Batches")!] == "4")
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Missing-Batches")!] == "0")
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Conflicting-Batches")!] == "0")
                    #expect(response.headers[.contentLength] == nil && response.headers[HTTPField.Name("Trailer")!] != nil, "streamed in chunks, counts in trailers")
                    // no trailing gap event when complete
                    #expect((response.json as? [[String: Any]])?.count == 8)
                }
            }
        }
    }

    @Test("different batches under one seq all play; only byte-identical copies are left out")
    func conflictsAreKept() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            // Seq 1 exists as two different batches (a copied tab), each also redelivered once, in
            // two segments; seq 2 twice identical.
            let other = Batch.marked(1, count: 3, base: 1_700_000_050_000)
            try await harness.storeSession(campaign: campaign.id, session: session, segments: [
                [.marked(0), .marked(1), other, .marked(2)],
                [other, .marked(1), .marked(2)],
            ])
            let auth = try await harness.bearer()
            try await harness.application().test(.router) { client in
                try await client.execute(uri: "/v1/sessions/\(session)/events", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    #expect(response.markers == [[0, 0], [0, 1], [1, 0], [1, 1], [1, 0], [1, 1], [1, 2], [2, 0], [2, 1]])
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Conflicting-Batches")!] == "1")
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Batches")!] == "4")
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Missing-Batches")!] == "0")
                    #expect(response.headers[.contentLength] == nil && response.headers[HTTPField.Name("Trailer")!] != nil, "streamed in chunks, counts in trailers")
                }
            }
        }
    }

    @Test("beyond the concurrent-stream budget the events endpoint answers 429 playback_busy with Retry-After")
    func streamBudget() async throws {
        try await PlaybackHarness.run(configure: { $0.maxConcurrentStreams = 1 }) { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            try await harness.storeSession(campaign: campaign.id, session: session, segments: [[.marked(0), .marked(1)]])
            let auth = try await harness.bearer()
            let routes = harness.routes()
            let router = Router(context: BasicRequestContext.self)
            routes.register(on: router)
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: harness.logger)
            try await app.test(.router) { client in
                var held: StreamAdmission.Admission? = try routes.admission.admit(compressedBytes: 1)
                try await client.execute(uri: "/v1/sessions/\(session)/events", method: .get, headers: auth) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(response.errorCode == "playback_busy")
                    #expect(response.headers[.retryAfter] == "5")
                }
                #expect(held != nil)
                held = nil  // the other stream finished
                try await client.execute(uri: "/v1/sessions/\(session)/events", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    #expect(response.markers.count == 4)
                }
                #expect(routes.admission.inUse.streams == 0, "a written stream gives its place back")
            }
        }
    }

    @Test("the temporary-bytes budget admits a large session alone, not beside another")
    func temporaryBytesBudget() throws {
        let admission = StreamAdmission(maxStreams: 10, maxBytes: 1_000)
        var first: StreamAdmission.Admission? = try admission.admit(compressedBytes: 500)  // 8,000 estimated: alone, admitted
        #expect(throws: PlaybackError.self) { _ = try admission.admit(compressedBytes: 1) }
        #expect(first?.bytes == 500 * StreamAdmission.expansion)
        first = nil
        let small = try admission.admit(compressedBytes: 10)
        let second = try admission.admit(compressedBytes: 10)
        #expect(admission.inUse.streams == 2 && admission.inUse.bytes == 320)
        _ = (small, second)
    }

    @Test("gaps are reported in a trailer and a trailing replayd.gap custom event")
    func gaps() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            try await harness.storeSession(campaign: campaign.id, session: session, segments: [
                [.marked(1), .marked(5)], [.marked(9), .marked(3)],
            ])
            let auth = try await harness.bearer()
            try await harness.application().test(.router) { client in
                try await client.execute(uri: "/v1/sessions/\(session)/events", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Sequence-Gaps")!] == "0,2,4,6-8")
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Missing-Batches")!] == "6")
                    #expect(response.markers.map { $0[0] } == [1, 1, 3, 3, 5, 5, 9, 9])
                    let events = try #require(response.json as? [[String: Any]])
                    let last = try #require(events.last)
                    #expect(last["type"] as? Int == 5)
                    let data = try #require(last["data"] as? [String: Any])
                    #expect(data["tag"] as? String == "replayd.gap")
                    let payload = try #require(data["payload"] as? [String: Any])
                    #expect(payload["missing"] as? String == "0,2,4,6-8")
                    #expect(payload["ranges"] as? [[Int]] == [[0, 0], [2, 2], [4, 4], [6, 8]])
                    #expect(response.headers[.contentLength] == nil && response.headers[HTTPField.Name("Trailer")!] != nil, "streamed in chunks, counts in trailers")
                }
                try await client.execute(uri: "/v1/sessions/\(session)/events?gap_event=false", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Sequence-Gaps")!] == "0,2,4,6-8")
                    #expect((response.json as? [[String: Any]])?.count == 8)
                }
            }
        }
    }

    @Test("a batch the index lists but whose lines are damaged shows as a gap; empty batches are no gap")
    func damagedAndEmpty() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            let empty = Batch(seq: 1, events: "[ ]", timestamps: [], eventCount: 0)
            let broken = Batch(seq: 2, events: "[{\"type\":5", timestamps: [], eventCount: 0)  // not a whole line
            try await harness.storeSession(campaign: campaign.id, session: session, segments: [
                [.marked(0), empty, broken, .marked(3)],
            ])
            let auth = try await harness.bearer()
            try await harness.application().test(.router) { client in
                try await client.execute(uri: "/v1/sessions/\(session)/events?gap_event=0", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    #expect(response.markers.map { $0[0] } == [0, 0, 3, 3])
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Sequence-Gaps")!] == "2")
                    #expect(response.json != nil, "the body must stay valid JSON: \(response.text.prefix(300))")
                }
            }
        }
    }

    @Test("an object missing from S3 is a gap, not a failure; temporary files are removed")
    func missingObject() async throws {
        try await PlaybackHarness.run(configure: { $0.temporaryDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("pb-tmp-\(UUID().uuidString)").path }) { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            let keys = try await harness.storeSession(campaign: campaign.id, session: session, segments: [
                [.marked(0), .marked(1)], [.marked(2)], [.marked(3)],
            ])
            try await harness.s3.deleteObject(key: keys[1])
            let auth = try await harness.bearer()
            try await harness.application().test(.router) { client in
                try await client.execute(uri: "/v1/sessions/\(session)/events", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    #expect(response.trailerHeaders?[HTTPField.Name("X-Replayd-Sequence-Gaps")!] == "2")
                    #expect(response.markers.map { $0[0] } == [0, 0, 1, 1, 3, 3])
                }
            }
            let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: harness.configuration.temporaryDirectory)) ?? []
            #expect(leftovers.isEmpty, "temporary files left behind: \(leftovers)")
        }
    }

    @Test("a session with no segments yet is an empty array")
    func noSegments() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            try await harness.insertSessionRow(campaign: campaign.id, session: session, start: Date())
            let auth = try await harness.bearer()
            try await harness.application().test(.router) { client in
                try await client.execute(uri: "/v1/sessions/\(session)/events", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    #expect(response.text == "[]")
                }
            }
        }
    }

    @Test("presigned segment URLs download the stored gzip files")
    func presignedSegments() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            let keys = try await harness.storeSession(campaign: campaign.id, session: session, segments: [[.marked(0)], [.marked(1)]])
            let auth = try await harness.bearer()
            try await harness.application().test(.router) { client in
                try await client.execute(uri: "/v1/sessions/\(session)/segments", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    let body = try #require(response.json as? [String: Any])
                    let segments = try #require(body["segments"] as? [[String: Any]])
                    #expect(segments.map { $0["key"] as? String } == keys)
                    let url = try #require(segments.first?["url"] as? String)
                    let file = FileManager.default.temporaryDirectory.appendingPathComponent("pb-\(UUID().uuidString).gz").path
                    defer { try? FileManager.default.removeItem(atPath: file) }
                    let result = try shell("curl -sf -o '\(file)' '\(url)' && gzip -dc '\(file)'")
                    #expect(result.status == 0, "\(result.output)")
                    #expect(result.output.hasPrefix("{\"seq\":0,\"events\":["))
                }
            }
            var disabled = harness.configuration
            disabled.presignedURLLifetime = nil
            try await harness.application(disabled).test(.router) { client in
                try await client.execute(uri: "/v1/sessions/\(session)/segments", method: .get, headers: auth) { response in
                    #expect(response.status == .notFound)
                    #expect(response.errorCode == "presign_disabled")
                }
            }
        }
    }
}
