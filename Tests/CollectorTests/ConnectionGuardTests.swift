import Collector
import Core
import Foundation
import HTTPSupport
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

/// The HTTP edge over the Collector's real server stack: idle connections and request heads or
/// bodies sent a byte at a time are closed at their deadlines, connections beyond the cap are
/// closed at once, and a normal client's batches meanwhile still get 202.
@Suite("The HTTP edge closes idle and slow connections", .serialized)
struct ConnectionGuardTests {
    /// Opens `idle` connections that send nothing, `slowHeads` that send a request head a byte per
    /// 300 ms, and `slowBodies` that send a head declaring 1 MiB and then a byte per 300 ms; reports
    /// per kind how many the server closed and after how long (at most `within` seconds).
    static func attack(port: Int, idle: Int, slowHeads: Int, slowBodies: Int, key: String, within: Double) async throws -> String {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("slow") + ".py").path
        try """
            import socket, time, selectors, json
            port = \(port)
            sel = selectors.DefaultSelector()
            conns = []
            head = ("POST /v1/batch?key=\(key) HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\n"
                    "Content-Length: 1048576\\r\\n\\r\\n").encode()
            def open_conn(kind):
                s = socket.create_connection(("127.0.0.1", port))
                s.setblocking(False)
                c = {"kind": kind, "sock": s, "opened": time.time(), "closed": None, "sent": 0}
                if kind == "body":
                    s.sendall(head)
                conns.append(c)
                sel.register(s, selectors.EVENT_READ, c)
            for _ in range(\(idle)): open_conn("idle")
            for _ in range(\(slowHeads)): open_conn("head")
            for _ in range(\(slowBodies)): open_conn("body")
            deadline = time.time() + \(within)
            next_drip = time.time()
            partial = b"GET /snippet.js HTTP/1.1\\r\\nHost: x\\r\\nX-Slow: " + b"a" * 10000
            while time.time() < deadline and any(c["closed"] is None for c in conns):
                for key, _ in sel.select(timeout=0.1):
                    c = key.data
                    try:
                        data = c["sock"].recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        c["closed"] = time.time() - c["opened"]
                        sel.unregister(c["sock"])
                if time.time() >= next_drip:
                    next_drip = time.time() + 0.3
                    for c in conns:
                        if c["closed"] is None and c["kind"] in ("head", "body"):
                            try:
                                if c["kind"] == "head":
                                    c["sock"].send(partial[c["sent"]:c["sent"] + 1])
                                else:
                                    c["sock"].send(b"[")
                                c["sent"] += 1
                            except OSError:
                                pass
            out = {}
            for kind in ("idle", "head", "body"):
                mine = [c for c in conns if c["kind"] == kind]
                closed = [c["closed"] for c in mine if c["closed"] is not None]
                out[kind] = {"opened": len(mine), "closed": len(closed), "latest": max(closed) if closed else None}
            print(json.dumps(out))
            """.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        return try await shellAsync("timeout 120 python3 '\(script)'").output
    }

    @Test("idle connections, slow heads and slow bodies are closed at their deadlines while batches still get 202")
    func slowClientsAreClosed() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign()
            var edge = HTTPEdgeConfiguration()
            edge.idleTimeout = .seconds(2)
            edge.bodyTimeout = .seconds(3)
            try await harness.application(edge: edge).test(.live) { client in
                let port = try #require(client.port)
                async let report = Self.attack(port: port, idle: 200, slowHeads: 50, slowBodies: 50, key: campaign.publicKey, within: 15)
                // Meanwhile a normal client sends batches.
                var statuses: [Int] = []
                for seq in 0..<10 {
                    let file = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("b")).path
                    try Data(Fixtures.batch(key: campaign.publicKey, session: "edge-normal", seq: seq).readableBytesView).write(to: URL(fileURLWithPath: file))
                    defer { try? FileManager.default.removeItem(atPath: file) }
                    let code = try await shellAsync("curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @\(file) 'http://127.0.0.1:\(port)/v1/batch'").output
                    statuses.append(Int(code) ?? 0)
                    try await Task.sleep(for: .milliseconds(300))
                }
                #expect(statuses.allSatisfy { $0 == 202 }, "normal batches during the attack: \(statuses)")
                let text = try await report
                let result = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [String: Any]], "\(text)")
                for kind in ["idle", "head", "body"] {
                    let entry = try #require(result[kind])
                    #expect(entry["closed"] as? Int == entry["opened"] as? Int, "\(kind): \(entry)")
                }
                // Idle and slow heads at the 2 s idle deadline, slow bodies at the 3 s body deadline (plus scheduling slack).
                #expect((result["idle"]?["latest"] as? Double ?? 99) < 6, "\(text)")
                #expect((result["head"]?["latest"] as? Double ?? 99) < 6, "\(text)")
                #expect((result["body"]?["latest"] as? Double ?? 99) < 7, "\(text)")
                #expect((result["body"]?["latest"] as? Double ?? 0) >= 2.5, "bodies get their full deadline: \(text)")
            }
        }
    }

    @Test("connections beyond the cap are closed at once")
    func connectionCap() async throws {
        try await CollectorHarness.run { harness in
            var edge = HTTPEdgeConfiguration()
            edge.maxConnections = 20
            let counter = ConnectionCounter()
            try await harness.application(edge: edge, counter: counter).test(.live) { client in
                let port = try #require(client.port)
                // HummingbirdTesting's live client opens one connection of its own, asynchronously.
                let connected = ContinuousClock.now + .seconds(5)
                while counter.current < 1, ContinuousClock.now < connected { try await Task.sleep(for: .milliseconds(20)) }
                let others = counter.current
                let text = try await Self.attack(port: port, idle: 30, slowHeads: 0, slowBodies: 0, key: "pk_x", within: 3)
                let idle = try #require((try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [String: Any]])?["idle"], "\(text)")
                #expect(idle["closed"] as? Int == 30 - (20 - others), "30 opened beside \(others), cap 20: \(text)")
                #expect(counter.current == others, "every closed connection is uncounted again")
            }
        }
    }
}
