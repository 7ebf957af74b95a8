import Core
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Playback
import TestSupport
import Testing

/// The replay page in a real browser: headless Chromium opens a signed link to a session stored
/// (out of order, with a duplicate) from the real rrweb form fixture, plays it, and the page's debug
/// element shows what the replayed document contains.
@Suite("Replay page in Chromium")
struct ReplayPageBrowserTests {
    static var chromium: String? {
        for candidate in ["chromium", "chromium-browser", "google-chrome"] {
            if let found = try? shell("command -v \(candidate)"), found.status == 0 {
                return found.output.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return nil
    }

    /// `at=end` seeks to the end at once: how far autoplay gets within Chromium's virtual time
    /// budget varies from run to run, the end state does not.
    @Test("the page plays the form recording: typed text, select, checkbox and final message appear")
    func playsFormFixture() async throws {
        let seek = "&at=end"
        let browser = try #require(Self.chromium, "chromium is needed for this test")
        let events = Fixture.load("form.json")
        try #require(events.count > 10, "fixture form.json is missing from \(TestStack.fixturesDirectory.path)")
        // Five batches of the fixture, stored in two segments out of order with one duplicate.
        let size = (events.count + 4) / 5
        let batches = try stride(from: 0, to: events.count, by: size).enumerated().map { seq, start in
            try Batch.rrweb(seq, Array(events[start..<min(events.count, start + size)]))
        }
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("form")
            try await harness.storeSession(campaign: campaign.id, session: session, segments: [
                [batches[3], batches[0], batches[1]],
                [batches[2], batches[1], batches[4], batches[3]],
            ], firstURL: "http://127.0.0.1:18555/form.html")
            let link = SignedLink.valid(for: .seconds(300), session: session, campaignID: campaign.id)
            try await harness.application().test(.live) { client in
                let port = try #require(client.port)
                let url = "http://127.0.0.1:\(port)/replay/\(session)?\(link.queryString(secret: PlaybackHarness.linkSecret))\(seek)"
                let dom = try await Self.dumpDOM(browser: browser, url: url)
                let debug = try #require(Self.debugJSON(dom), "no replay state in the page: \(dom.prefix(2000))")
                let text = debug["text"] as? String ?? ""
                #expect(text.contains("Payment accepted"), "replayed text: \(text.prefix(500))")
                #expect(text.contains("Checkout"))
                let fields = (debug["fields"] as? [[String: String]] ?? []).reduce(into: [String: String]()) {
                    $0[$1["name"] ?? ""] = $1["value"]
                }
                #expect(fields["name"] == "Ada Lovelace", "fields: \(fields)")
                #expect(fields["email"] == "ada@example.com")
                #expect(fields["country"] == "Germany")
                #expect(fields["tos"] == "true")
                #expect(!dom.contains("class=\"error\""), "the page reported an error")
                #expect(!dom.contains("data-missing=\""), "no gap expected")
            }
        }
    }

    @Test("a gap in the recording is shown on the page")
    func gapWarning() async throws {
        let browser = try #require(Self.chromium, "chromium is needed for this test")
        let events = Fixture.load("form.json")
        let half = events.count / 2
        let batches = [try Batch.rrweb(0, Array(events[..<half])), try Batch.rrweb(2, Array(events[half...]))]
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("gap")
            try await harness.storeSession(campaign: campaign.id, session: session, segments: [batches])
            let link = SignedLink.valid(for: .seconds(300), session: session, campaignID: campaign.id)
            try await harness.application().test(.live) { client in
                let port = try #require(client.port)
                let dom = try await Self.dumpDOM(
                    browser: browser, url: "http://127.0.0.1:\(port)/replay/\(session)?\(link.queryString(secret: PlaybackHarness.linkSecret))")
                #expect(dom.contains("data-missing=\"1\""), "\(dom.prefix(3000))")
                #expect(dom.contains("This recording is incomplete"))
            }
        }
    }

    /// Runs headless Chromium (on its own thread: it takes seconds) and returns the DOM it printed.
    static func dumpDOM(browser: String, url: String) async throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("pb-chromium-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let command = "timeout 60 '\(browser)' --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
            + "--user-data-dir='\(profile)' --window-size=1280,800 --virtual-time-budget=10000 --dump-dom '\(url)' 2>/dev/null"
        let result = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(status: Int32, output: String), any Error>) in
            Thread { continuation.resume(with: Result { try shell(command) }) }.start()
        }
        #expect(result.status == 0, "chromium exited with \(result.status)")
        return result.output
    }

    /// The JSON the page keeps in `<pre id="replayd-debug">`.
    static func debugJSON(_ dom: String) -> [String: Any]? {
        guard let start = dom.range(of: "<pre id=\"replayd-debug\">"),
              let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else { return nil }
        let escaped = String(dom[start.upperBound..<end.lowerBound])
        let text = escaped.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }
}

/// The shared rrweb fixtures (`../shared/fixtures/rrweb`).
enum Fixture {
    static func load(_ name: String) -> [[String: Any]] {
        let url = TestStack.fixturesDirectory.appendingPathComponent(name)
        guard let data = try? Data(contentsOf: url),
              let events = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return events
    }
}
