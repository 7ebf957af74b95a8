import Foundation
import Testing
import TestSupport

/// A real `replayd collector` while PostgreSQL is stopped: a campaign it has seen keeps getting 202
/// from its expired cache entry within about `REPLAYD_CAMPAIGN_LOAD_TIMEOUT` (the batch does not
/// wait for PostgreSQL), and an unknown key gets 503 with `Retry-After`.
@Suite(.serialized)
struct CollectorPostgresOutageTests {
    @Test func knownCampaignsKeepIngestingWhilePostgresIsDown() async throws {
        let topic = TestStack.uniqueName("pg-outage")
        let environment = ["REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_CAMPAIGN_CACHE_TTL": "1s", "REPLAYD_CAMPAIGN_LOAD_TIMEOUT": "1s",
                           "REPLAYD_LOG_LEVEL": "error"]
        _ = try ReplaydProcess.command("migrate", environment: environment)
        let created = try JSONSerialization.jsonObject(with: Data(try ReplaydProcess.command(
            "campaign create --name \(topic) --origin '*' --json", environment: environment).utf8)) as? [String: String]
        let key = try #require(created?["key"])
        let port = try TestStack.freePort()
        let collector = try ReplaydProcess.start("collector", port: port, environment: environment)
        defer { collector.stop() }
        func post(_ key: String, seq: Int) throws -> (status: String, seconds: Double) {
            let now = Int(Date().timeIntervalSince1970 * 1000)
            let body = #"{"key":"\#(key)","session":"pg-outage","seq":\#(seq),"events":[{"type":4,"data":{"href":"https://a.example/"},"timestamp":\#(now)}]}"#
            let started = Date()
            let status = try shell("curl -s -o /dev/null -w '%{http_code}' --max-time 20 -H 'Content-Type: application/json' --data-binary '\(body)' http://127.0.0.1:\(port)/v1/batch").output
            return (status, Date().timeIntervalSince(started))
        }
        #expect(try post(key, seq: 0).status == "202")
        let stopped = try StackFaults.stopPostgres()
        do {
            try await Task.sleep(for: .seconds(2))  // the cache entry expired
            let known = try post(key, seq: 1)
            #expect(known.status == "202" && known.seconds < 5, "a known campaign during the outage: \(known)")
            let unknown = try post("pk_doesnotexist000000000000", seq: 0)
            #expect(unknown.status == "503" && unknown.seconds < 5, "an unknown key during the outage: \(unknown)")
        } catch {
            try? stopped.restart()
            throw error
        }
        try stopped.restart()
    }
}
