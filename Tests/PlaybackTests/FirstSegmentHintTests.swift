import Core
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import Playback
import S3
import TestSupport
import Testing

@Suite("The events endpoint's first_segment hint")
struct FirstSegmentHintTests {
    @Test("only a key of this session (and of its campaign, when named) is fetched")
    func plausibility() {
        let campaign = UUID()
        let own = "sessions/\(campaign.uuidString.lowercased())/s1/000000000000-\(UUID().uuidString.lowercased()).jsonl.gz"
        #expect(FirstSegmentHint.plausible(own[...], session: "s1", campaign: campaign))
        #expect(FirstSegmentHint.plausible(own[...], session: "s1", campaign: nil))
        #expect(!FirstSegmentHint.plausible(own[...], session: "s2", campaign: campaign), "another session's key")
        #expect(!FirstSegmentHint.plausible(own[...], session: "s1", campaign: UUID()), "another campaign's key")
        #expect(!FirstSegmentHint.plausible("sessions/x/s1/other.json", session: "s1", campaign: nil), "not a segment")
        #expect(!FirstSegmentHint.plausible(Substring("a/s1/" + String(repeating: "x", count: 1100) + ".jsonl.gz"), session: "s1", campaign: nil))
    }

    @Test("the early download is used only for a first run of one ordered segment with that key; else aborted")
    func take() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("h")
            let keys = try await harness.storeSession(campaign: campaign.id, session: session, segments: [[.marked(0), .marked(1)], [.marked(2)]])
            let segments = try await harness.sessions.segments(campaignID: campaign.id, session: session)
            #expect(segments.map(\.objectKey) == keys && segments.allSatisfy(\.ordered))
            func hint(_ key: String) throws -> FirstSegmentHint {
                try #require(FirstSegmentHint(key[...], session: session, campaign: campaign.id, s3: harness.s3))
            }
            let used = try await hint(keys[0]).take(firstRun: 0..<1, of: segments)
            var body: [UInt8] = []
            for try await chunk in try #require(used) { body += chunk }
            #expect(body.count == Int(segments[0].bytes), "the whole first segment arrives through the early download")
            #expect(try await hint(keys[1]).take(firstRun: 0..<1, of: segments) == nil, "a key that is not the first run's")
            var unordered = segments
            unordered[0].ordered = false
            #expect(try await hint(keys[0]).take(firstRun: 0..<1, of: unordered) == nil, "a first run that is read whole")
            #expect(try await hint(keys[0]).take(firstRun: 0..<2, of: segments) == nil, "a first run of two segments")
            #expect(try await hint(keys[0]).take(firstRun: nil, of: []) == nil)
        }
    }

    @Test("with the right key, a stale one or a foreign one, the events are the same as without a hint")
    func sameEvents() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign(), other = try await harness.campaign()
            let session = TestStack.uniqueName("h")
            let keys = try await harness.storeSession(campaign: campaign.id, session: session,
                                                      segments: [[.marked(0), .marked(1)], [.marked(2), .marked(4)]])
            let foreign = try await harness.storeSession(campaign: other.id, session: session, segments: [[.marked(0, count: 5)]])
            let auth = try await harness.bearer()
            let base = "/v1/sessions/\(session)/events?campaign=\(campaign.id.uuidString.lowercased())"
            try await harness.application().test(.router) { client in
                let plain = try await client.execute(uri: base, method: .get, headers: auth)
                #expect(plain.status == .ok)
                #expect(plain.markers == [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1], [4, 0], [4, 1]])
                for key in [keys[0], keys[1], foreign[0], "sessions/\(campaign.id.uuidString.lowercased())/\(session)/gone.jsonl.gz"] {
                    let hinted = try await client.execute(uri: base + "&first_segment=\(key)", method: .get, headers: auth)
                    #expect(hinted.status == .ok)
                    #expect(hinted.body == plain.body, "hint \(key)")
                    #expect(hinted.trailerHeaders?[HTTPField.Name("X-Replayd-Sequence-Gaps")!] == "3")
                }
            }
        }
    }

    @Test("the replay page names the first segment when it plays as it decompresses, not otherwise")
    func replayPage() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let ordered = TestStack.uniqueName("h"), unordered = TestStack.uniqueName("h")
            let keys = try await harness.storeSession(campaign: campaign.id, session: ordered, segments: [[.marked(0)], [.marked(1)]])
            try await harness.storeSession(campaign: campaign.id, session: unordered, segments: [[.marked(1), .marked(0)]])
            let auth = try await harness.bearer()
            try await harness.application().test(.router) { client in
                let page = try await client.execute(uri: "/replay/\(ordered)", method: .get, headers: auth)
                #expect(page.status == .ok)
                #expect(page.text.contains("first_segment=\(keys[0])"), "\(page.text.prefix(3000))")
                let other = try await client.execute(uri: "/replay/\(unordered)", method: .get, headers: auth)
                #expect(other.status == .ok)
                #expect(!other.text.contains("first_segment="))
            }
        }
    }
}
