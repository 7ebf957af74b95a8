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

/// Records what reached `/v1/batch` on the wire (encoding and type), for the browser test.
final class WireLog: Sendable {
    private let entries = Mutex<[(encoding: String?, type: String?, status: Int)]>([])
    func append(encoding: String?, type: String?, status: Int) { entries.withLock { $0.append((encoding, type, status)) } }
    var all: [(encoding: String?, type: String?, status: Int)] { entries.withLock { $0 } }
}

struct WireLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let log: WireLog
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        if request.uri.path == "/v1/batch", request.method == .post {
            log.append(encoding: request.headers[.contentEncoding], type: request.headers[.contentType], status: response.status.code)
        }
        return response
    }
}

@Suite("The snippet in a real headless Chromium", .serialized)
struct BrowserSnippetTests {
    static var rrwebRecordPath: String {
        let dir = ProcessInfo.processInfo.environment["REPLAYD_RRWEB_ASSETS"]
            ?? TestStack.repositoryRoot.appendingPathComponent(".stack/rrweb-assets").path
        return dir + "/rrweb-record-1-1-3.js"
    }

    /// A page recorded with rrweb and the snippet. It types, selects and clicks; with `next` it changes
    /// its heading and navigates in the same tick, so the last events leave by `sendBeacon` on page hide.
    static func page(key: String, title: String, next: String?) -> String {
        let ending = next.map {
            "setTimeout(function () { document.getElementById('heading').textContent = '\(title) done'; location.href = '\($0)'; }, 1500);"
        } ?? "setTimeout(function () { document.getElementById('heading').textContent = '\(title) done'; }, 800);"
        return """
        <!doctype html><html><head><meta charset="utf-8"><title>\(title)</title></head><body>
        <h1 id="heading">\(title)</h1>
        <form><input id="name" value=""><select id="plan"><option>basic</option><option>pro</option></select>
        <label><input type="checkbox" id="terms"> terms</label></form>
        <script src="/test/rrweb-record.js"></script>
        <script src="/snippet.js" data-key="\(key)" data-flush-ms="300"></script>
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
    /// open while they load, record, navigate and send.
    static let harnessPage = """
        <!doctype html><html><body><iframe src="/test/page1.html" width="1000" height="700"></iframe>
        <img src="/test/slow?ms=5000" alt=""><p>harness done</p></body></html>
        """

    @Test("rrweb + snippet: every batch reaches Kafka in order, gzip on the wire, beacon on page hide")
    func recordsThroughTheCollector() async throws {
        guard FileManager.default.fileExists(atPath: Self.rrwebRecordPath) else {
            Issue.record("rrweb assets missing at \(Self.rrwebRecordPath): run scripts/setup")
            return
        }
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign(origins: [])
            let wire = WireLog()
            let router = Router(context: IngestRequestContext.self)
            router.add(middleware: WireLogMiddleware(log: wire))
            harness.routes().register(on: router)
            let rrweb = try Data(contentsOf: URL(fileURLWithPath: Self.rrwebRecordPath))
            router.get("/test/rrweb-record.js") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/javascript"], body: .init(byteBuffer: ByteBuffer(bytes: rrweb)))
            }
            let first = Self.page(key: campaign.publicKey, title: "Checkout", next: "/test/page2.html")
            let second = Self.page(key: campaign.publicKey, title: "Thanks", next: nil)
            router.get("/test/page1.html") { _, _ in Self.html(first) }
            router.get("/test/page2.html") { _, _ in Self.html(second) }
            router.get("/test/harness.html") { _, _ in Self.html(Self.harnessPage) }
            router.get("/test/slow") { request, _ in
                let ms = request.uri.queryParameters["ms"].flatMap { Int($0) } ?? 1000
                try await Task.sleep(for: .milliseconds(ms))
                return Response(status: .ok, headers: [.contentType: "image/gif"], body: .init(byteBuffer: ByteBuffer(string: "GIF89a")))
            }
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                  logger: harness.logger)
            try await app.test(.live) { client in
                let origin = "http://127.0.0.1:\(client.port ?? 0)"
                _ = try await harness.store.update(id: campaign.id, allowedOrigins: [origin])
                let result = try await shellAsync("timeout 60 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage " +
                              "--window-size=1280,800 --dump-dom \(origin)/test/harness.html 2>/dev/null")
                #expect(result.output.contains("harness done"), "chromium did not finish the harness page: \(result.output.suffix(2000))")
                // Beacons sent on page hide may land just after the page changed.
                try await Task.sleep(for: .seconds(2))
            }
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
            #expect(bodies.contains("Checkout done"), "the beacon on page hide carried the last events of page 1")
            #expect(bodies.contains("Thanks done"))
        }
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
