import Collector
import HTTPSupport
import Core
import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Kafka
import NIOCore
import Synchronization
import TestSupport
import Testing

/// Records what reached `/v1/batch` on the wire (encoding and type, in the order the answers left,
/// and when each request arrived), counts the batch requests in flight, and can hold the first one
/// back (to put it on the wire at a page hide) or refuse it with `503` and `Retry-After`.
final class WireLog: Sendable {
    private struct State {
        var entries: [(encoding: String?, type: String?, status: Int)] = []
        var inFlight = 0
        var arrivals: [ContinuousClock.Instant] = []
    }
    private let state = Mutex(State())
    let holdFirst: Duration?
    let refuseFirstFor: Int?

    init(holdFirst: Duration? = nil, refuseFirstFor retryAfterSeconds: Int? = nil) {
        self.holdFirst = holdFirst
        refuseFirstFor = retryAfterSeconds
    }

    /// Called as a request arrives; says whether it is the first.
    func arrive() -> Bool {
        state.withLock { state in
            state.inFlight += 1
            state.arrivals.append(.now)
            return state.arrivals.count == 1
        }
    }
    var arrivals: [ContinuousClock.Instant] { state.withLock { $0.arrivals } }
    func answered(encoding: String?, type: String?, status: Int) {
        state.withLock { $0.entries.append((encoding, type, status)); $0.inFlight -= 1 }
    }
    var all: [(encoding: String?, type: String?, status: Int)] { state.withLock { $0.entries } }
    /// At least `count` batches answered and none in flight.
    func settled(answered count: Int) -> Bool { state.withLock { $0.entries.count >= count && $0.inFlight == 0 } }
}

struct WireLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let log: WireLog
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path == "/v1/batch", request.method == .post else { return try await next(request, context) }
        let first = log.arrive()
        do {
            if first, let seconds = log.refuseFirstFor {
                log.answered(encoding: request.headers[.contentEncoding], type: request.headers[.contentType], status: 503)
                return Response(status: .serviceUnavailable,
                                headers: [.contentType: "application/json", .retryAfter: String(seconds),
                                          .accessControlAllowOrigin: request.headers[.origin] ?? "*"],
                                body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"code":"unavailable","message":"test: try again later"}}"#)))
            }
            if first, let hold = log.holdFirst { try await Task.sleep(for: hold) }
            let response = try await next(request, context)
            log.answered(encoding: request.headers[.contentEncoding], type: request.headers[.contentType], status: response.status.code)
            return response
        } catch {
            log.answered(encoding: request.headers[.contentEncoding], type: request.headers[.contentType], status: 0)
            throw error
        }
    }
}

@Suite("The snippet in a real headless Chromium", .serialized)
struct BrowserSnippetTests {
    static var rrwebRecordPath: String {
        let dir = ProcessInfo.processInfo.environment["REPLAYD_RRWEB_ASSETS"]
            ?? TestStack.repositoryRoot.appendingPathComponent(".stack/rrweb-assets").path
        return dir + "/rrweb-record-1-1-3.js"
    }

    /// Polls the snippet until nothing is queued or buffered, then runs `then` (JavaScript statements).
    /// With `flushing`, it also sends what is buffered on each round (for pages whose own flush
    /// interval is long).
    static func whenDrained(_ then: String, flushing: Bool = false) -> String {
        "(function wait() { var s = window.replayd && window.replayd.stats; " +
        "if (s && s.queued === 0 && s.buffered === 0) { \(then) } else { \(flushing ? "window.replayd.flush(); " : "")setTimeout(wait, 50); } })();"
    }

    /// Page 1 records typing, a select and a click and sends them with an explicit flush (by fetch,
    /// gzip). Once they are answered it changes its heading and navigates in the same tick, so the
    /// heading change can only leave by `sendBeacon` on page hide: the automatic flush is a minute away.
    static func firstPage(key: String, next: String) -> String {
        page(key: key, title: "Checkout", flushMs: 60_000, ending: """
            setTimeout(function () { window.replayd.flush(); }, 800);
            setTimeout(function () { \(whenDrained("document.getElementById('heading').textContent = 'Checkout done'; location.href = '\(next)';", flushing: true)) }, 900);
            """)
    }

    /// Page 2 changes its heading, lets the automatic flush send it, and opens the gate once every
    /// batch was answered.
    static func secondPage(key: String) -> String {
        page(key: key, title: "Thanks", flushMs: 300, ending: """
            setTimeout(function () { document.getElementById('heading').textContent = 'Thanks done';
              setTimeout(function () { \(whenDrained("fetch('/test/done');")) }, 100); }, 800);
            """)
    }

    static func page(key: String, title: String, flushMs: Int, ending: String) -> String {
        """
        <!doctype html><html><head><meta charset="utf-8"><title>\(title)</title></head><body>
        <h1 id="heading">\(title)</h1>
        <form><input id="name" value=""><select id="plan"><option>basic</option><option>pro</option></select>
        <label><input type="checkbox" id="terms"> terms</label></form>
        <script src="/test/rrweb-record.js"></script>
        <script src="/snippet.js" data-key="\(key)" data-flush-ms="\(flushMs)"></script>
        <script>
          setTimeout(function () { var i = document.getElementById('name'); i.focus(); i.value = 'Ada Lovelace';
            i.dispatchEvent(new Event('input', { bubbles: true })); }, 200);
          setTimeout(function () { var s = document.getElementById('plan'); s.value = 'pro';
            s.dispatchEvent(new Event('change', { bubbles: true })); document.getElementById('terms').click(); }, 500);
          \(ending)
        </script></body></html>
        """
    }

    /// Chromium's --dump-dom fires on the top page's load event; rrweb snapshots on its own page's load.
    /// So the recorded pages live in an iframe of a harness page whose slow image keeps the browser
    /// open while they load, record, navigate and send: it loads once the gate opens (30 s at most).
    static let harnessPage = """
        <!doctype html><html><body><iframe src="/test/page1.html" width="1000" height="700"></iframe>
        <img src="/test/slow" alt=""><p>harness done</p></body></html>
        """

    @Test("rrweb + snippet: every batch reaches Kafka in order, gzip on the wire, beacon on page hide")
    func recordsThroughTheCollector() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign(origins: [])
            let wire = WireLog()
            let pages = [
                "/test/page1.html": Self.firstPage(key: campaign.publicKey, next: "/test/page2.html"),
                "/test/page2.html": Self.secondPage(key: campaign.publicKey),
            ]
            try await Self.browse(pages, harness: harness, campaign: campaign, wire: wire) { _ in false }
            let all = try await harness.records(expected: 1_000, wait: .seconds(20), settle: .seconds(2))
            try #require(all.count >= 3, "expected several batches, got \(all.count); wire: \(wire.all)")
            let sessions = Set(all.compactMap { $0.key.map { String(decoding: $0, as: UTF8.self) } })
            #expect(sessions.count == 1, "one tab is one session across navigations: \(sessions)")
            let seqs = all.compactMap { $0.header("seq").flatMap { Int(String(decoding: $0, as: UTF8.self)) } }
            #expect(seqs == Array(0..<seqs.count), "batches in order without gaps: \(seqs)")
            let log = wire.all
            #expect(log.contains { $0.encoding == "gzip" }, "CompressionStream gzip on the wire: \(log)")
            #expect(log.contains { $0.type?.hasPrefix("text/plain") == true }, "sendBeacon on page hide: \(log)")
            let bodies = all.map { String(decoding: $0.value, as: UTF8.self) }.joined()
            #expect(bodies.contains("Ada Lovelace"))
            // Page 1 flushes by itself only once a minute: its heading change can only have left by beacon.
            #expect(bodies.contains("Checkout done"), "the beacon on page hide carried the last events of page 1")
            #expect(bodies.contains("Thanks done"))
        }
    }

    @Test("a page hide while a batch is on the wire sends the rest by beacon and that batch only once")
    func pageHideDuringAFetchSendsEveryBatchOnce() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign(origins: [])
            // The first batch (sent by fetch) is held for 1.5 s, so page 1 hides while it is in flight.
            let wire = WireLog(holdFirst: .milliseconds(1_500))
            let first = Self.page(key: campaign.publicKey, title: "Checkout", flushMs: 60_000, ending: """
                setTimeout(function () { window.replayd.flush(); }, 700);
                // Hide only once the server holds the fetch (not while the page still compresses it).
                setTimeout(function wait() { fetch('/test/arrived').then(function (r) {
                  if (r.status !== 200) return setTimeout(wait, 50);
                  document.getElementById('heading').textContent = 'Checkout done'; location.href = '/test/plain.html'; }); }, 750);
                """)
            let pages = ["/test/page1.html": first, "/test/plain.html": "<!doctype html><p>next page</p>"]
            // No snippet on the next page to open the gate: it opens once two batches were answered
            // and none is in flight (a re-sent first batch would be a third, answered last).
            try await Self.browse(pages, harness: harness, campaign: campaign, wire: wire) { wire in
                wire.settled(answered: 2)
            }
            let all = try await harness.records(expected: 1_000, wait: .seconds(20), settle: .seconds(2))
            let log = wire.all
            let seqs = all.compactMap { $0.header("seq").flatMap { Int(String(decoding: $0, as: UTF8.self)) } }
            try #require(seqs.count >= 2, "expected the fetched batch and the beacon, got \(seqs); wire: \(log)")
            #expect(seqs.sorted() == Array(0..<seqs.count), "every batch exactly once, no gaps: \(seqs); wire: \(log)")
            // The scenario really happened: the beacon was answered before the held fetch.
            #expect(log.first?.type?.hasPrefix("text/plain") == true && log.last?.encoding == "gzip",
                    "the fetch was still in flight when the page hid: \(log)")
            let bodies = all.map { String(decoding: $0.value, as: UTF8.self) }.joined()
            #expect(bodies.contains("Ada Lovelace") && bodies.contains("Checkout done"))
        }
    }

    @Test("a 503 with Retry-After holds every send until it passes, then the batch goes through once")
    func retryAfterIsHonoured() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign(origins: [])
            let wire = WireLog(refuseFirstFor: 2)
            // The automatic flush runs every 300 ms and more events keep coming: none of that may
            // send before the 2 s the Collector asked for.
            let first = Self.page(key: campaign.publicKey, title: "Checkout", flushMs: 300, ending: """
                setTimeout(function () { document.getElementById('heading').textContent = 'Checkout busy'; }, 900);
                setTimeout(function () { document.getElementById('heading').textContent = 'Checkout done';
                  setTimeout(function () { \(Self.whenDrained("fetch('/test/done');")) }, 100); }, 1600);
                """)
            try await Self.browse(["/test/page1.html": first], harness: harness, campaign: campaign, wire: wire) { _ in false }
            let all = try await harness.records(expected: 1_000, wait: .seconds(20), settle: .seconds(2))
            let arrivals = wire.arrivals
            try #require(arrivals.count >= 2, "the refused batch was never sent again; wire: \(wire.all)")
            #expect(arrivals[1] - arrivals[0] >= .milliseconds(1_900),
                    "the second send came \(arrivals[1] - arrivals[0]) after a 503 with Retry-After: 2")
            let seqs = all.compactMap { $0.header("seq").flatMap { Int(String(decoding: $0, as: UTF8.self)) } }
            #expect(seqs == Array(0..<seqs.count), "every batch once, in order: \(seqs)")
            let bodies = all.map { String(decoding: $0.value, as: UTF8.self) }.joined()
            #expect(bodies.contains("Ada Lovelace") && bodies.contains("Checkout done"))
        }
    }

    /// rrweb's console plugin interface (`{name, observer(callback, window, options), options}`, which
    /// rrweb's record calls and whose payloads it emits as type-6 events) as the page provides it:
    /// this machine has no copy of rrweb's own plugin build, so the page defines a small one that
    /// reports `console.error` and `console.warn` the way rrweb's does.
    static let consolePlugin = """
        <script>window.rrwebConsoleRecord = { getRecordConsolePlugin: function (options) {
          return { name: 'rrweb/console@1', options: options, observer: function (callback, win) {
            ['error', 'warn'].forEach(function (level) { var original = win.console[level];
              win.console[level] = function () { var args = Array.prototype.slice.call(arguments);
                callback({ level: level, trace: ['at page (test.html:1:1)'], payload: args.map(function (a) { return JSON.stringify(String(a)); }) });
                return original.apply(this, arguments); }; });
            return function () {}; } }; } };</script>
        """

    @Test("data-console records console messages through the page's rrweb console plugin, each capped in size")
    func consoleMessages() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign(origins: [])
            let wire = WireLog()
            let page = Self.page(key: campaign.publicKey, title: "Checkout", flushMs: 300, ending: """
                setTimeout(function () { console.error('card declined'); console.warn('slow'); console.error('x'.repeat(50000)); }, 700);
                setTimeout(function () { \(Self.whenDrained("fetch('/test/done');")) }, 1200);
                """)
                .replacingOccurrences(of: "<script src=\"/snippet.js\"", with: Self.consolePlugin + "<script src=\"/snippet.js\" data-console=\"true\" data-console-max-bytes=\"4096\"")
            try await Self.browse(["/test/page1.html": page], harness: harness, campaign: campaign, wire: wire) { _ in false }
            let all = try await harness.records(expected: 1_000, wait: .seconds(20), settle: .seconds(2))
            let bodies = all.map { String(decoding: $0.value, as: UTF8.self) }.joined()
            #expect(bodies.contains(#""plugin":"rrweb/console@1""#), "\(bodies.suffix(2000))")
            #expect(bodies.contains("card declined") && bodies.contains(#""level":"warn""#))
            #expect(bodies.contains("bytes was cut") && !bodies.contains(String(repeating: "x", count: 5000)),
                    "the 50 KB message was cut to the 4 KiB cap")
        }
    }

    @Test("a window opened with a copy of the tab's sessionStorage records as a session of its own")
    func aCopiedTabStartsASessionOfItsOwn() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign(origins: [])
            let wire = WireLog()
            // The original sends its first batches, then opens a copy of itself (window.open copies
            // sessionStorage: the session id and the seq counter) and stays open beside it.
            let original = Self.page(key: campaign.publicKey, title: "Original", flushMs: 300, ending: """
                setTimeout(function () { \(Self.whenDrained("window.open('/test/copy.html');")) }, 900);
                """)
            let copy = Self.page(key: campaign.publicKey, title: "Copy", flushMs: 300, ending: """
                setTimeout(function () { document.getElementById('heading').textContent = 'Copy done';
                  setTimeout(function () { \(Self.whenDrained("fetch('/test/done');")) }, 100); }, 800);
                """)
            try await Self.browse(["/test/page1.html": original, "/test/copy.html": copy], harness: harness, campaign: campaign,
                                  wire: wire, chromiumFlags: "--disable-popup-blocking") { _ in false }
            let all = try await harness.records(expected: 1_000, wait: .seconds(20), settle: .seconds(2))
            var bySession: [String: [(seq: Int, body: String)]] = [:]
            for record in all {
                guard let key = record.key.map({ String(decoding: $0, as: UTF8.self) }),
                      let seq = record.header("seq").flatMap({ Int(String(decoding: $0, as: UTF8.self)) }) else { continue }
                bySession[key, default: []].append((seq, String(decoding: record.value, as: UTF8.self)))
            }
            try #require(bySession.count == 2, "the copy shares the original's session: \(bySession.mapValues { $0.map(\.seq) })")
            for (session, batches) in bySession {
                #expect(batches.map(\.seq).sorted() == Array(0..<batches.count), "\(session): seqs \(batches.map(\.seq)) each once")
            }
            let bodies = bySession.mapValues { $0.map(\.body).joined() }
            #expect(bodies.values.filter { $0.contains("Copy done") }.count == 1, "the copy's events are in one session")
            #expect(bodies.values.filter { $0.contains("Original") && !$0.contains("Copy done") }.count == 1,
                    "the original's session holds none of the copy's events")
        }
    }

    /// Serves `pages` beside the Collector's routes and loads the harness page (which frames
    /// `/test/page1.html`) in headless Chromium until the gate opens: by a page's `fetch('/test/done')`,
    /// or when `ready` says so.
    static func browse(_ pages: [String: String], harness: CollectorHarness, campaign: Campaign, wire: WireLog,
                       chromiumFlags: String = "", ready: @escaping @Sendable (WireLog) -> Bool) async throws {
        guard FileManager.default.fileExists(atPath: Self.rrwebRecordPath) else {
            throw TestFailure("rrweb assets missing at \(Self.rrwebRecordPath): run scripts/setup")
        }
        let rrweb = try Data(contentsOf: URL(fileURLWithPath: Self.rrwebRecordPath))
        let gate = PageGate()
        let router = Router(context: IngestRequestContext.self)
        router.add(middleware: WireLogMiddleware(log: wire))
        harness.routes().register(on: router)
        router.get("/test/rrweb-record.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/javascript"], body: .init(byteBuffer: ByteBuffer(bytes: rrweb)))
        }
        for (path, text) in pages { router.get(RouterPath(path)) { _, _ in Self.html(text) } }
        router.get("/test/harness.html") { _, _ in Self.html(Self.harnessPage) }
        router.get("/test/done") { _, _ in gate.release(); return Response(status: .noContent) }
        router.get("/test/arrived") { _, _ in Response(status: wire.arrivals.isEmpty ? .noContent : .ok) }
        router.get("/test/slow") { _, _ in
            _ = try await gate.wait(limit: .seconds(30)) { ready(wire) }
            return Response(status: .ok, headers: [.contentType: "image/gif"], body: .init(byteBuffer: ByteBuffer(string: "GIF89a")))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: harness.logger)
        try await app.test(.live) { client in
            let origin = "http://127.0.0.1:\(client.port ?? 0)"
            _ = try await harness.store.update(id: campaign.id, allowedOrigins: [origin])
            let result = try await shellAsync("timeout 60 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage " +
                          "--window-size=1280,800 \(chromiumFlags) --dump-dom \(origin)/test/harness.html 2>/dev/null")
            #expect(result.output.contains("harness done"), "chromium did not finish the harness page: \(result.output.suffix(2000))")
            #expect(gate.isOpen || ready(wire), "the page never reported that everything it sent was answered; wire: \(wire.all)")
        }
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
