import Foundation
import Testing
import TestSupport

/// `REPLAYD_SESSION_END_IDLE` through a real `replayd all`: a session whose last event is older than
/// the idle time is marked ended, and `ended=true` finds it.
@Suite(.serialized)
struct SessionEndTests {
    @Test func idleSessionsAreMarkedEnded() async throws {
        let topic = TestStack.uniqueName("session-end")
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent(topic).path
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let environment = ["REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_KAFKA_GROUP": topic + "-group", "REPLAYD_KAFKA_DLQ_TOPIC": topic + ".dlq",
                           "REPLAYD_SPOOL_DIR": spool, "REPLAYD_SPOOL_IDLE_TIMEOUT": "1s", "REPLAYD_SESSION_END_IDLE": "15s",
                           "REPLAYD_LOG_LEVEL": "warning"]
        _ = try ReplaydProcess.command("migrate", environment: environment)
        let created = try JSONSerialization.jsonObject(with: Data(try ReplaydProcess.command(
            "campaign create --name \(topic) --origin '*' --json", environment: environment).utf8)) as? [String: String]
        let (campaign, key) = (try #require(created?["id"]), try #require(created?["key"]))
        let token = try #require((try JSONSerialization.jsonObject(with: Data(try ReplaydProcess.command(
            "token create --name \(topic) --json", environment: environment).utf8)) as? [String: String])?["token"])
        let port = try TestStack.freePort()
        let replayd = try ReplaydProcess.start("all", port: port, environment: environment)
        defer { replayd.stop() }

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
