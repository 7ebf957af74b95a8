import Foundation
import Testing
import TestSupport

/// Session summaries through a real `replayd all`: batches with known interactions are counted as
/// they pass the Processor, and the sessions list shows the counts, the pages, the browser and
/// whether (and why not) each session can be played.
@Suite(.serialized)
struct SessionSummaryTests {
    static func event(_ type: Int, _ data: String, _ t: Int) -> String { #"{"type":\#(type),"data":\#(data),"timestamp":\#(t)}"# }
    static func click(_ t: Int, x: Int = 200, y: Int = 300) -> String { event(3, #"{"source":2,"type":2,"id":5,"x":\#(x),"y":\#(y)}"#, t) }
    static func mutation(_ t: Int) -> String { event(3, #"{"source":0,"texts":[],"attributes":[{"id":5,"attributes":{"class":"open"}}],"removes":[],"adds":[]}"#, t) }
    static func input(_ t: Int) -> String { event(3, #"{"source":5,"text":"g","isChecked":false,"id":8}"#, t) }
    static func scroll(_ t: Int) -> String { event(3, #"{"source":3,"id":1,"x":0,"y":400}"#, t) }
    static func meta(_ t: Int, _ path: String) -> String { event(4, #"{"href":"https://shop.example.com\#(path)","width":390,"height":844}"#, t) }
    static func snapshot(_ t: Int) -> String { event(2, #"{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}}"#, t) }
    static func console(_ t: Int, _ level: String) -> String {
        event(6, #"{"plugin":"rrweb/console@1","payload":{"level":"\#(level)","trace":[],"payload":["\"x\""]}}"#, t)
    }

    @Test func summariesCountInteractionsAndExplainUnplayableSessions() async throws {
        let run = try ReplaydAllRun.start("summary")
        defer { run.stop() }
        let (campaign, key, token, port) = (run.campaign, run.key, run.token, run.port)

        let now = Int(Date().timeIntervalSince1970 * 1000) - 60_000
        let userAgent = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
        func post(_ session: String, _ seq: Int, _ events: [String]) throws {
            let body = #"{"key":"\#(key)","session":"\#(session)","seq":\#(seq),"events":[\#(events.joined(separator: ","))]}"#
            let file = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("summary-body")).path
            try body.write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let status = try shell("curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'User-Agent: \(userAgent)' --data-binary @'\(file)' http://127.0.0.1:\(port)/v1/batch").output
            #expect(status == "202", "\(session) seq \(seq): \(status)")
        }
        // A complete session: 6 clicks (a rage burst of 3 answered by a mutation, one dead click, two
        // answered), 4 keypresses, 2 scrolls, two pages, one console error and one warning.
        try post("full", 0, [Self.meta(now, "/"), Self.snapshot(now + 1),
                             Self.click(now + 1000), Self.click(now + 1200, x: 205), Self.click(now + 1400, x: 198), Self.mutation(now + 1500),
                             Self.input(now + 2000), Self.input(now + 2300), Self.input(now + 2600), Self.input(now + 2900)])
        try post("full", 1, [Self.click(now + 4000, x: 50, y: 60), Self.scroll(now + 6000), Self.scroll(now + 6500),
                             Self.console(now + 7000, "error"), Self.console(now + 7100, "warn"),
                             Self.meta(now + 8000, "/cart"), Self.snapshot(now + 8001),
                             Self.click(now + 9000, x: 10, y: 10), Self.mutation(now + 9300), Self.click(now + 12_000, x: 700, y: 20), Self.mutation(now + 12_500)])
        // No full snapshot; and a session with a batch missing.
        try post("headless", 0, [Self.meta(now, "/"), Self.click(now + 100), Self.mutation(now + 200)])
        try post("gappy", 0, [Self.meta(now, "/"), Self.snapshot(now + 1), Self.input(now + 10)])
        try post("gappy", 2, [Self.input(now + 3000)])

        var sessions: [String: [String: Any]] = [:]
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let list = try HTTP.getJSON("http://127.0.0.1:\(port)/v1/campaigns/\(campaign)/sessions", token: token)
            for item in (list.json as? [String: Any])?["sessions"] as? [[String: Any]] ?? [] {
                if let id = item["id"] as? String { sessions[id] = item }
            }
            if sessions["full"]?["clicks"] as? Int == 6, sessions["gappy"]?["event_count"] as? Int == 4, sessions["headless"] != nil { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let full = try #require(sessions["full"], "\(sessions)")
        #expect(full["clicks"] as? Int == 6, "\(full)")
        #expect(full["rage_clicks"] as? Int == 1)
        #expect(full["dead_clicks"] as? Int == 1)
        #expect(full["keypresses"] as? Int == 4)
        #expect(full["console_errors"] as? Int == 1)
        #expect(full["urls"] as? [String] == ["https://shop.example.com/", "https://shop.example.com/cart"])
        #expect(full["browser"] as? String == "Chrome" && full["os"] as? String == "Android" && full["device"] as? String == "mobile")
        #expect(full["playable"] as? Bool == true && (full["unplayable_reasons"] as? [String])?.isEmpty == true)
        #expect((full["active_ms"] as? Int).map { $0 > 0 && $0 <= 12_500 } == true, "\(full)")
        #expect(full["ended"] as? Bool == false)

        let headless = try #require(sessions["headless"])
        #expect(headless["playable"] as? Bool == false)
        #expect((headless["unplayable_reasons"] as? [String])?.first?.contains("no full snapshot") == true, "\(headless)")
        let gappy = try #require(sessions["gappy"])
        #expect(gappy["playable"] as? Bool == false)
        #expect((gappy["unplayable_reasons"] as? [String])?.first?.contains("1 of the batches 0…2 never arrived") == true, "\(gappy)")

        // Each filter finds and excludes the right sessions.
        let base = "http://127.0.0.1:\(port)/v1/campaigns/\(campaign)/sessions"
        func ids(_ query: String) throws -> [String] {
            let list = try HTTP.getJSON(base + "?" + query, token: token)
            #expect(list.status == 200, "\(query): \(String(describing: list.json))")
            return ((list.json as? [String: Any])?["sessions"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        }
        #expect(try ids("min_clicks=6") == ["full"])
        #expect(try ids("min_rage_clicks=1") == ["full"])
        #expect(try ids("has_console_errors=true") == ["full"])
        #expect(Set(try ids("has_console_errors=false")) == ["headless", "gappy"])
        #expect(try ids("playable=true") == ["full"])
        #expect(Set(try ids("playable=false")) == ["headless", "gappy"])
        #expect(try ids("url_contains=%2Fcart") == ["full"])
        #expect(Set(try ids("browser=chrome&device=mobile")) == ["full", "headless", "gappy"])
        #expect(try ids("browser=Firefox").isEmpty)
        #expect(try ids("min_duration_ms=10000") == ["full"])
        #expect(Set(try ids("max_duration_ms=5000")) == ["headless", "gappy"])
        #expect(try ids("min_active_ms=1").contains("full"))
        #expect(Set(try ids("ended=false")) == ["full", "headless", "gappy"])
        #expect(try ids("sort=-duration") == ["full", "gappy", "headless"])
        #expect(try ids("sort=duration") == ["headless", "gappy", "full"])
        // Cursor pages follow the sort.
        var pages: [String] = []
        var cursor: String?
        repeat {
            let list = try HTTP.getJSON(base + "?sort=-duration&limit=1" + (cursor.map { "&cursor=\($0)" } ?? ""), token: token)
            let body = list.json as? [String: Any]
            pages += (body?["sessions"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            cursor = body?["next_cursor"] as? String
        } while cursor != nil && pages.count < 5
        #expect(pages == ["full", "gappy", "headless"])
        // `replayd sessions list --json` carries the same fields.
        let listed = try ReplaydProcess.command("sessions list --campaign \(campaign) --json", environment: run.environment)
        let cli = listed.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        let fullLine = try #require(cli.first { $0["id"] as? String == "full" }, "\(listed)")
        #expect(fullLine["rage_clicks"] as? Int == 1 && fullLine["keypresses"] as? Int == 4 && fullLine["playable"] as? Bool == true, "\(fullLine)")
        #expect(cli.first { $0["id"] as? String == "headless" }?["playable"] as? Bool == false)
        // The sessions page has the same filters, and says why a session is not playable.
        let page = try shell("curl -s -D - -H 'Authorization: Bearer \(token)' 'http://127.0.0.1:\(port)/campaigns/\(campaign)/sessions/page?playable=false'").output
        #expect(page.contains("id=\"replayd-filters\"") && page.contains("form-action 'self'"), "\(page.prefix(3000))")
        #expect(page.contains(">headless<") && page.contains(">gappy<") && !page.contains(">full<"), "\(page.suffix(4000))")
        #expect(page.contains("no: no full snapshot") && page.contains("never arrived"), "\(page.suffix(4000))")
        // A malformed filter is a 400 naming the parameter.
        for (query, parameter) in [("min_clicks=many", "min_clicks"), ("playable=maybe", "playable"), ("sort=size", "sort"),
                                   ("min_duration_ms=-1", "min_duration_ms"), ("min_duration_ms=9&max_duration_ms=3", "min_duration_ms")] {
            let response = try HTTP.getJSON(base + "?" + query, token: token)
            let error = (response.json as? [String: Any])?["error"] as? [String: Any]
            #expect(response.status == 400 && error?["code"] as? String == "invalid_parameter"
                    && (error?["message"] as? String)?.contains(parameter) == true, "\(query): \(String(describing: response.json))")
        }
    }
}
