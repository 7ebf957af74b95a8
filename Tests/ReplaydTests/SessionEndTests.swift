import Foundation
import Testing
import TestSupport

/// `REPLAYD_SESSION_END_IDLE` through a real `replayd all`: a session whose last event is older than
/// the idle time is marked ended, and `ended=true` finds it.
@Suite(.serialized)
struct SessionEndTests {
    @Test func idleSessionsAreMarkedEnded() async throws {
        let run = try ReplaydAllRun.start("session-end", origin: "*", settings: ["REPLAYD_SESSION_END_IDLE": "15s"])
        defer { run.stop() }
        let (campaign, key, token, port, replayd) = (run.campaign, run.key, run.token, run.port, run.replayd)

        let now = Int(Date().timeIntervalSince1970 * 1000)
        let body = #"{"key":"\#(key)","session":"ending","seq":0,"events":[{"type":4,"data":{"href":"https://a.example/","width":800,"height":600},"timestamp":\#(now)}]}"#
        #expect(try HTTP.postBatch("http://127.0.0.1:\(port)/v1/batch", body: Data(body.utf8)) == 202)
        let url = "http://127.0.0.1:\(port)/v1/campaigns/\(campaign)/sessions"
        var seenOpen = false
        var ended: Bool?
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let list = try HTTP.getJSON(url, token: token)
            ended = ((list.json as? [String: Any])?["sessions"] as? [[String: Any]])?.first?["ended"] as? Bool
            if ended == false { seenOpen = true }
            if ended == true { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(seenOpen, "listed as open before the idle time passed")
        #expect(ended == true, "\(replayd.log.suffix(1500))")
        let endedList = try HTTP.getJSON(url + "?ended=true", token: token)
        #expect(((endedList.json as? [String: Any])?["sessions"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["ending"])
    }
}
