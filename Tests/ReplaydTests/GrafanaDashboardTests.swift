import Foundation
import Testing
import TestSupport

/// docs/grafana/replayd.json names only metrics a real `replayd all` exports: after one batch has
/// gone through to S3 and one install ping was recorded, every metric family a panel queries is in
/// `/metrics` (histograms as their `_bucket` series).
@Suite(.serialized)
struct GrafanaDashboardTests {
    static func dashboardMetrics() throws -> Set<String> {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/grafana/replayd.json")
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        var names = Set<String>()
        for panel in panels {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                let expr = try #require(target["expr"] as? String)
                let regex = try NSRegularExpression(pattern: "replayd_[a-z_]+")
                for match in regex.matches(in: expr, range: NSRange(expr.startIndex..., in: expr)) {
                    names.insert(String(expr[Range(match.range, in: expr)!]))
                }
            }
        }
        return names
    }

    @Test func everyPanelQueriesAnExportedMetric() async throws {
        let wanted = try Self.dashboardMetrics()
        #expect(wanted.count >= 20, "\(wanted)")
        let topic = TestStack.uniqueName("grafana")
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent(topic).path
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let environment = ["REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_SPOOL_DIR": spool, "REPLAYD_SPOOL_IDLE_TIMEOUT": "1s",
                           "REPLAYD_LOG_LEVEL": "warning"]
        _ = try ReplaydProcess.command("migrate", environment: environment)
        let created = try ReplaydProcess.command("campaign create --name \(topic) --origin https://shop.example.com --json", environment: environment)
        let key = try #require((try JSONSerialization.jsonObject(with: Data(created.utf8)) as? [String: String])?["key"])
        let port = try TestStack.freePort()
        let replayd = try ReplaydProcess.start("all", port: port, environment: environment)
        defer { replayd.stop() }

        let now = Int(Date().timeIntervalSince1970 * 1000)
        let batch = #"{"key":"\#(key)","session":"grafana-1","seq":0,"events":[{"type":4,"timestamp":\#(now),"data":{"href":"https://shop.example.com/","width":1280,"height":800}}]}"#
        let posted = try shell("curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Origin: https://shop.example.com' --data-binary '\(batch)' http://127.0.0.1:\(port)/v1/batch")
        #expect(posted.output == "202")
        let ping = #"{"key":"\#(key)","url":"https://shop.example.com/","version":"1.1.0"}"#
        let pinged = try shell("curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Origin: https://shop.example.com' --data-binary '\(ping)' http://127.0.0.1:\(port)/v1/install")
        #expect(pinged.output == "204")

        // The session goes idle after 1 s, its segment uploads; the lag reporter runs every 10 s.
        let deadline = ContinuousClock.now + .seconds(60)
        var missing = wanted
        var exported = Set<String>()
        while !missing.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(1))
            let text = try shell("curl -s http://127.0.0.1:\(replayd.adminPort)/metrics").output
            exported = Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap {
                $0.split(whereSeparator: { $0 == "{" || $0 == " " }).first.map(String.init)
            })
            missing = wanted.filter { !exported.contains($0) }
        }
        #expect(missing.isEmpty, "queried by the dashboard but not exported: \(missing.sorted()); exported: \(exported.filter { $0.hasPrefix("replayd_") }.sorted())")
    }
}
