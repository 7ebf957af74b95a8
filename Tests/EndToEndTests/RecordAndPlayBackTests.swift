import Synchronization
import Foundation
import Hummingbird
import HummingbirdTesting
import Kafka
import Logging
import NIOCore
import StackTestSupport
import TestSupport
import Testing

/// The product end to end: a page recorded in headless Chromium with rrweb and our snippet goes
/// through the real `replayd all` (Collector → Kafka → Processor → spool → S3 + Postgres index), and
/// the playback page replays it in Chromium: the replayed DOM shows the recorded text and input values.
@Suite("End to end: record in a browser, play back from S3", .serialized)
struct RecordAndPlayBackTests {
    static let rrwebRecord = TestStack.repositoryRoot.appendingPathComponent(".stack/rrweb-assets/rrweb-record-1-1-3.js").path

    /// replayd's environment for this test: its own topic, group and spool; short idle timeout so
    /// segments close and upload within seconds.
    static func environment(topic: String) -> [String: String] {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("spool")).path
        return [
            "REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_KAFKA_GROUP": topic + "-group", "REPLAYD_KAFKA_DLQ_TOPIC": topic + ".dlq",
            "REPLAYD_KAFKA_SESSION_TIMEOUT": "6s", "REPLAYD_SPOOL_DIR": spool, "REPLAYD_SPOOL_IDLE_TIMEOUT": "2s",
            "REPLAYD_LOG_LEVEL": "warning",
            "REPLAYD_RRWEB_ASSETS": TestStack.repositoryRoot.appendingPathComponent(".stack/rrweb-assets").path,
        ]
    }

    static func page(key: String, collector: String) -> String {
        """
        <!doctype html><html><head><meta charset="utf-8"><title>Checkout</title></head><body>
        <h1 id="heading">Checkout</h1>
        <form><label>Name <input id="name" name="name" value=""></label>
        <label>Country <select id="country" name="country"><option>France</option><option>Germany</option></select></label></form>
        <p id="status">waiting</p>
        <script src="/rrweb-record.js"></script>
        <script src="\(collector)/snippet.js" data-key="\(key)" data-flush-ms="300"></script>
        <script>
          setTimeout(function () { var i = document.getElementById('name'); i.focus(); i.value = 'Grace Hopper';
            i.dispatchEvent(new Event('input', { bubbles: true })); }, 300);
          setTimeout(function () { var s = document.getElementById('country'); s.value = 'Germany';
            s.dispatchEvent(new Event('change', { bubbles: true })); }, 600);
          setTimeout(function () { document.getElementById('status').textContent = 'Order placed for Grace';
            // Once every batch was answered (on Kafka), let the harness page finish loading.
            setTimeout(function wait() { var s = window.replayd && window.replayd.stats;
              if (s && s.queued === 0 && s.buffered === 0) fetch('/done'); else setTimeout(wait, 50); }, 100); }, 900);
        </script></body></html>
        """
    }

    /// One recording run: the campaign, the running `replayd all` and the collector's URL.
    struct RecordingRun: Sendable {
        let environment: [String: String]
        let campaignID: String
        let collector: String
        let replayd: ReplaydProcess
    }

    /// Creates a topic of its own and a campaign, serves `pages` (path → page, given the campaign's
    /// key and the collector's URL) on a site of its own origin beside the rrweb recorder and a
    /// harness page that frames `/page.html`, starts `replayd all`, records the harness page in
    /// headless Chromium until a page fetches `/done` (at most 30 s), then runs `body`.
    static func record(
        _ prefix: String, chromiumFlags: String = "",
        pages: [String: @Sendable (_ key: String, _ collector: String) -> String],
        _ body: @Sendable (RecordingRun) async throws -> Void
    ) async throws {
        let logger = Logger(label: "test.\(prefix)")
        let topic = TestStack.uniqueName(prefix)
        let admin = StackFixtures.kafkaAdmin(logger: logger)
        try await admin.createTopic(topic, partitions: 4)
        defer { Task { try? await admin.deleteTopic(topic); try? await admin.deleteTopic(topic + ".dlq") } }
        let environment = Self.environment(topic: topic)
        _ = try ReplaydProcess.command("migrate", environment: environment)

        // The site: a page server on its own origin (as a customer's site would be).
        let site = Router()
        let rrweb = try Data(contentsOf: URL(fileURLWithPath: Self.rrwebRecord))
        let port = try TestStack.freePort()
        let collector = "http://127.0.0.1:\(port)"
        let campaignBox = CampaignBox()
        site.get("/rrweb-record.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/javascript"], body: .init(byteBuffer: ByteBuffer(bytes: rrweb)))
        }
        for (path, page) in pages {
            site.get(RouterPath(path)) { _, _ in Self.html(page(campaignBox.key, collector)) }
        }
        site.get("/harness.html") { _, _ in
            Self.html("<!doctype html><iframe src=\"/page.html\" width=\"1000\" height=\"700\"></iframe><img src=\"/slow\"><p>harness done</p>")
        }
        // The harness page's image loads once a recorded page says all it sent was answered (at most
        // 30 s), which keeps Chromium's --dump-dom open exactly as long as the pages need.
        let done = PageGate()
        site.get("/done") { _, _ in done.release(); return Response(status: .noContent) }
        site.get("/slow") { _, _ in
            _ = try await done.wait(limit: .seconds(30))
            return Response(status: .ok, headers: [.contentType: "image/gif"], body: .init(byteBuffer: ByteBuffer(string: "GIF89a")))
        }
        let siteApp = Application(router: site, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await siteApp.test(.live) { client in
            let origin = "http://127.0.0.1:\(client.port ?? 0)"
            let created = try ReplaydProcess.command("campaign create --name \(topic) --origin \(origin) --json", environment: environment)
            let campaign = try JSONSerialization.jsonObject(with: Data(created.utf8)) as! [String: String]
            campaignBox.key = campaign["key"]!

            let replayd = try ReplaydProcess.start("all", port: port, environment: environment)
            defer { replayd.stop() }

            // Record: Chromium runs the pages; the snippet sends gzip batches and a beacon.
            let recording = try await shellAsync("timeout 60 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
                                      + "\(chromiumFlags) --window-size=1280,800 --dump-dom \(origin)/harness.html 2>/dev/null")
            #expect(recording.output.contains("harness done"))
            #expect(done.isOpen, "the pages never saw all their batches answered; replayd log: \(replayd.log.suffix(3000))")
            try await body(RecordingRun(environment: environment, campaignID: campaign["id"]!, collector: collector, replayd: replayd))
        }
    }

    @Test("a session recorded in Chromium plays back from S3 with its text and input values")
    func recordAndPlayBack() async throws {
        try await Self.record("e2e", pages: ["/page.html": { key, collector in Self.page(key: key, collector: collector) }]) { run in
            let (environment, campaignID, collector, replayd) = (run.environment, run.campaignID, run.collector, run.replayd)
            let topic = environment["REPLAYD_KAFKA_TOPIC"]!

            // 2. The Processor spools the batches; the idle segment closes and uploads; Postgres indexes it.
            var session: [String: Any]?
            let indexDeadline = ContinuousClock.now + .seconds(120)
            while session == nil, ContinuousClock.now < indexDeadline {
                let listed = try ReplaydProcess.command("sessions list --campaign \(campaignID) --json", environment: environment)
                session = listed.split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }.first { ($0["event_count"] as? Int ?? 0) > 0 }
                if session == nil { try await Task.sleep(for: .milliseconds(500)) }
            }
            let found = try #require(session, "no session was indexed; replayd log: \(replayd.log.suffix(3000))")
            let sessionID = try #require(found["id"] as? String)
            #expect((found["segment_count"] as? Int ?? 0) >= 1)

            // 3. The events API returns the recording from S3 (with an analyst token).
            let token = try JSONSerialization.jsonObject(
                with: Data(try ReplaydProcess.command("token create --name \(topic) --json", environment: environment).utf8)) as! [String: String]
            // The session is indexed with its first segment; a later batch may still be on its way
            // to S3 in a second one. Wait (bounded) until the last recorded change is readable.
            var events = try HTTP.getJSON("\(collector)/v1/sessions/\(sessionID)/events?campaign=\(campaignID)", token: token["token"])
            let eventsDeadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < eventsDeadline,
                  !(events.json.flatMap { try? JSONSerialization.data(withJSONObject: $0) }
                        .map { String(decoding: $0, as: UTF8.self).contains("Order placed for Grace") } ?? false) {
                try await Task.sleep(for: .milliseconds(500))
                events = try HTTP.getJSON("\(collector)/v1/sessions/\(sessionID)/events?campaign=\(campaignID)", token: token["token"])
            }
            #expect(events.status == 200)
            let array = try #require(events.json as? [[String: Any]])
            #expect(array.contains { $0["type"] as? Int == 2 }, "a full snapshot was recorded")

            // 4. Play back: the replay page (signed link) in Chromium shows the recorded text and values.
            let link = try ReplaydProcess.command("sessions link --campaign \(campaignID) --session \(sessionID) --base-url \(collector)",
                                                  environment: environment).trimmingCharacters(in: .whitespacesAndNewlines)
            let profile = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("chromium")).path
            let playback = try await shellAsync("timeout 90 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
                                     + "--user-data-dir='\(profile)' --window-size=1280,800 --virtual-time-budget=10000 "
                                     + "--dump-dom '\(link)&at=end' 2>/dev/null")
            let dom = playback.output
            let debug = try #require(Self.debugJSON(dom), "the replay page exposed no state: \(dom.prefix(1500))")
            let text = debug["text"] as? String ?? ""
            #expect(text.contains("Order placed for Grace"), "replayed text: \(text.prefix(500))")
            let fields = (debug["fields"] as? [[String: String]] ?? []).reduce(into: [String: String]()) {
                $0[$1["name"] ?? ""] = $1["value"]
            }
            #expect(fields.values.contains("Grace Hopper"), "replayed input values: \(fields)")
            #expect(fields.values.contains("Germany"), "replayed select value: \(fields)")
            // The page's summary, and its timeline with the page change (click to seek).
            #expect(dom.contains("<dt>Clicks</dt>") && dom.contains("<dt>Active</dt>"), "\(dom.prefix(2000))")
            #expect(dom.contains("data-kind=\"page\""), "a page marker on the timeline: \(dom.suffix(3000))")
        }
    }

    /// A tab that records, then opens a copy of itself (`window.open` copies `sessionStorage`: the
    /// session id and the seq counter) and stays open beside it; the copy records text of its own.
    static func tabPage(key: String, collector: String, title: String, script: String) -> String {
        """
        <!doctype html><html><head><meta charset="utf-8"><title>\(title)</title></head><body>
        <h1 id="heading">\(title)</h1><p id="status">waiting</p>
        <script src="/rrweb-record.js"></script>
        <script src="\(collector)/snippet.js" data-key="\(key)" data-flush-ms="300"></script>
        <script>
          function whenDrained(then) { (function wait() { var s = window.replayd && window.replayd.stats;
            if (s && s.queued === 0 && s.buffered === 0) then(); else setTimeout(wait, 50); })(); }
          \(script)
        </script></body></html>
        """
    }

    /// A page of the interactions test: rrweb, a console plugin with rrweb's interface (rrweb's own
    /// build of it is not on this machine), the snippet with `data-console`, and `script`.
    static func interactionPage(key: String, collector: String, title: String, script: String) -> String {
        """
        <!doctype html><html><head><meta charset="utf-8"><title>\(title)</title></head><body>
        <h1 id="heading">\(title)</h1><button id="buy">Buy</button><button id="noop">Nothing</button>
        <input id="name" name="name" value=""><p id="status">waiting</p>
        <script src="/rrweb-record.js"></script>
        <script>window.rrwebConsoleRecord = { getRecordConsolePlugin: function (options) {
          return { name: 'rrweb/console@1', options: options, observer: function (callback, win) {
            var original = win.console.error;
            win.console.error = function () { callback({ level: 'error', trace: [], payload: ['"' + String(arguments[0]) + '"'] });
              return original.apply(this, arguments); };
            return function () {}; } }; } };</script>
        <script src="\(collector)/snippet.js" data-key="\(key)" data-flush-ms="300" data-console="true"></script>
        <script>
          document.getElementById('buy').addEventListener('click', function () {
            document.getElementById('status').textContent = 'bought ' + Date.now(); });
          function whenDrained(then) { (function wait() { var s = window.replayd && window.replayd.stats;
            if (s && s.queued === 0 && s.buffered === 0) then(); else setTimeout(wait, 50); })(); }
          \(script)
        </script></body></html>
        """
    }

    @Test("a recorded Chromium session with known interactions is summarised with exactly those counts")
    func interactionsAreCounted() async throws {
        let pages: [String: @Sendable (String, String) -> String] = [
            // A rage burst of 3 clicks that each change the page, typing 3 characters, a console error,
            // a dead click (nothing changes for 1.5 s), then a navigation.
            "/page.html": { key, collector in
                Self.interactionPage(key: key, collector: collector, title: "Shop", script: """
                    var buy = document.getElementById('buy'), field = document.getElementById('name');
                    setTimeout(function () { buy.click(); }, 400);
                    setTimeout(function () { buy.click(); }, 550);
                    setTimeout(function () { buy.click(); }, 700);
                    ['a', 'ab', 'abc'].forEach(function (value, i) { setTimeout(function () { field.focus(); field.value = value;
                      field.dispatchEvent(new Event('input', { bubbles: true })); }, 1900 + i * 150); });
                    setTimeout(function () { console.error('card declined'); }, 2500);
                    setTimeout(function () { document.getElementById('noop').click(); }, 2800);
                    setTimeout(function () { whenDrained(function () { location.href = '/cart.html'; }); }, 4400);
                    """)
            },
            "/cart.html": { key, collector in
                Self.interactionPage(key: key, collector: collector, title: "Cart", script: """
                    setTimeout(function () { whenDrained(function () { location.href = '/done.html'; }); }, 500);
                    """)
            },
            "/done.html": { key, collector in
                Self.interactionPage(key: key, collector: collector, title: "Done", script: """
                    setTimeout(function () { document.getElementById('status').textContent = 'all done';
                      setTimeout(function () { whenDrained(function () { fetch('/done'); }); }, 100); }, 500);
                    """)
            },
        ]
        try await Self.record("e2e-interactions", pages: pages) { run in
            let token = try JSONSerialization.jsonObject(with: Data(try ReplaydProcess.command(
                "token create --name \(TestStack.uniqueName("interactions")) --json", environment: run.environment).utf8)) as! [String: String]
            let url = "\(run.collector)/v1/campaigns/\(run.campaignID)/sessions"
            var session: [String: Any] = [:]
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let list = try HTTP.getJSON(url, token: token["token"])
                session = ((list.json as? [String: Any])?["sessions"] as? [[String: Any]])?.first ?? [:]
                if (session["urls"] as? [String])?.count == 3, session["console_errors"] as? Int == 1,
                   session["dead_clicks"] as? Int == 1 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(session["clicks"] as? Int == 4, "\(session)")
            #expect(session["rage_clicks"] as? Int == 1, "\(session)")
            #expect(session["dead_clicks"] as? Int == 1, "\(session)")
            let eventsText = try shell("curl -s -H 'Authorization: Bearer \(token["token"]!)' '\(run.collector)/v1/sessions/\(session["id"] as? String ?? "")/events?campaign=\(run.campaignID)'").output
            let inputs = eventsText.components(separatedBy: "},{").filter { $0.contains("\"source\":5") || $0.contains("\"text\":\"a") }
            #expect(session["keypresses"] as? Int == 3, "\(session); input events: \(inputs.prefix(5))")
            #expect(session["console_errors"] as? Int == 1, "\(session)")
            #expect((session["urls"] as? [String])?.map { URL(string: $0)?.path ?? "" } == ["/page.html", "/cart.html", "/done.html"], "\(session)")
            #expect(session["playable"] as? Bool == true && session["browser"] as? String == "Headless Chrome", "\(session)")
        }
    }

    @Test("a tab and its copy (window.open) record two sessions through replayd all; both play back complete")
    func twoTabsPlayBackComplete() async throws {
        let pages: [String: @Sendable (String, String) -> String] = [
            "/page.html": { key, collector in
                Self.tabPage(key: key, collector: collector, title: "Original", script: """
                    setTimeout(function () { document.getElementById('status').textContent = 'Original typed';
                      whenDrained(function () { window.open('/copy.html'); }); }, 600);
                    """)
            },
            "/copy.html": { key, collector in
                Self.tabPage(key: key, collector: collector, title: "Copy", script: """
                    setTimeout(function () { document.getElementById('status').textContent = 'Copy done';
                      setTimeout(function () { whenDrained(function () { fetch('/done'); }); }, 100); }, 800);
                    """)
            },
        ]
        try await Self.record("e2e-tabs", chromiumFlags: "--disable-popup-blocking", pages: pages) { run in
            let (environment, campaignID, collector, replayd) = (run.environment, run.campaignID, run.collector, run.replayd)
            let topic = environment["REPLAYD_KAFKA_TOPIC"]!

            // Both sessions are indexed, and each one's events, read through the events API, hold
            // its own tab's last change, with no gap.
            let token = try JSONSerialization.jsonObject(
                with: Data(try ReplaydProcess.command("token create --name \(topic) --json", environment: environment).utf8)) as! [String: String]
            var complete: [String: String] = [:]  // session → which tab
            var lastSeen = ""
            let deadline = ContinuousClock.now + .seconds(120)
            while complete.count < 2, ContinuousClock.now < deadline {
                let listed = try ReplaydProcess.command("sessions list --campaign \(campaignID) --json", environment: environment)
                let ids = listed.split(separator: "\n").compactMap {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
                }
                for id in ids where complete[id] == nil {
                    let events = try HTTP.getWithHeaders("\(collector)/v1/sessions/\(id)/events?campaign=\(campaignID)", token: token["token"])
                    let text = events.json.flatMap { try? JSONSerialization.data(withJSONObject: $0) }.map { String(decoding: $0, as: UTF8.self) } ?? ""
                    lastSeen = "\(id): status \(events.status), \(text.count) bytes, gaps \(events.headers["x-replayd-sequence-gaps"] ?? "none")"
                    guard events.status == 200, events.headers["x-replayd-missing-batches"] == "0" else { continue }
                    if text.contains("Copy done") { complete[id] = "copy" } else if text.contains("Original typed") { complete[id] = "original" }
                }
                if complete.count < 2 { try await Task.sleep(for: .milliseconds(500)) }
            }
            #expect(Set(complete.values) == ["original", "copy"], "complete sessions: \(complete); last read \(lastSeen); log \(replayd.log.suffix(2000))")
            replayd.stop()

            // The audit finds every batch Kafka took in S3.
            let exports = environment.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
            let audit = try shell("env \(exports) '\(ReplaydProcess.binary)' audit --campaign \(campaignID) --json")
            #expect(audit.status == 0, "\(audit.output.suffix(2000))")
            let summary = audit.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.last
            #expect(summary?["missing"] as? Int == 0 && summary?["sessions"] as? Int == 2, "\(audit.output.suffix(2000))")
        }
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The JSON the replay page keeps in `<pre id="replayd-debug">`.
    static func debugJSON(_ dom: String) -> [String: Any]? {
        guard let start = dom.range(of: "<pre id=\"replayd-debug\">"),
              let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else { return nil }
        let text = String(dom[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        return try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }
}

/// The campaign key, set once the campaign exists (the page route reads it).
final class CampaignBox: Sendable {
    private let storage = Mutex("")
    var key: String {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
