import Collector
import Core
import Foundation
import HTTPSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

/// The Collector holds at most `maxInflightBytes` of batches at once: while one 1 MB body is
/// arriving under a 1.5 MB budget, a second 1 MB request is refused with 503 and `Retry-After`
/// before its body is read, a small batch still gets 202, and once the first completes (202) the
/// budget is free again.
@Suite("Collector caps the batch bytes in flight", .serialized)
struct InflightBytesTests {
    static let script = """
        import os, socket, sys, time
        port, big_path, small_path, path, go = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
        big, small = open(big_path, "rb").read(), open(small_path, "rb").read()
        def head(n):
            return ("POST %s HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n" % (path, n)).encode()
        def response(s):
            s.settimeout(15)
            data = b""
            while b"\\r\\n\\r\\n" not in data:
                chunk = s.recv(65536)
                if not chunk: break
                data += chunk
            head_part, _, body = data.partition(b"\\r\\n\\r\\n")
            lines = head_part.decode().split("\\r\\n")
            headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
            while len(body) < int(headers.get("content-length", "0")):
                chunk = s.recv(65536)
                if not chunk: break
                body += chunk
            return "%s retry-after=%s %s" % (lines[0].split(" ")[1], headers.get("retry-after", "-"), body.decode())
        def connect():
            return socket.create_connection(("127.0.0.1", port))
        a = connect()
        a.sendall(head(len(big)) + big[:1024])
        print("SENT", flush=True)
        deadline = time.time() + 15
        while not os.path.exists(go) and time.time() < deadline: time.sleep(0.02)
        b = connect()
        b.sendall(head(len(big)) + big[:1024])
        print("B", response(b))
        c = connect()
        c.sendall(head(len(small)) + small)
        print("C", response(c))
        a.sendall(big[1024:])
        print("A", response(a))
        d = connect()
        d.sendall(head(len(big)) + big)
        print("D", response(d))
        """

    @Test("a request beyond the in-flight budget gets 503 with Retry-After before its body is read")
    func refusedBeyondTheBudget() async throws {
        try await CollectorHarness.run(configure: {
            $0.maxBatchBytes = 1 << 20
            $0.maxInflightBytes = 3 << 19
        }) { harness in
            let campaign = try await harness.campaign()
            let routes = harness.routes()
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("inflight"))
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            // A valid batch padded with JSON whitespace to 1,000,000 bytes, and a small one.
            var big = Array(Fixtures.batch(key: campaign.publicKey, session: "inflight-big", seq: 0).readableBytesView)
            big += Array(repeating: UInt8(ascii: " "), count: 1_000_000 - big.count)
            let small = Array(Fixtures.batch(key: campaign.publicKey, session: "inflight-small", seq: 0).readableBytesView)
            let paths = ["big", "small", "script.py"].map { directory.appendingPathComponent($0).path }
            try Data(big).write(to: URL(fileURLWithPath: paths[0]))
            try Data(small).write(to: URL(fileURLWithPath: paths[1]))
            try Self.script.write(toFile: paths[2], atomically: true, encoding: .utf8)
            let go = directory.appendingPathComponent("go").path

            try await harness.application(routes).test(.live) { client in
                let port = try #require(client.port)
                async let run = shellAsync("timeout 60 python3 '\(paths[2])' \(port) '\(paths[0])' '\(paths[1])' '/v1/batch?key=\(campaign.publicKey)' '\(go)'")
                // The first request holds its declared megabyte while its body is withheld.
                let deadline = ContinuousClock.now + .seconds(10)
                while routes.inflight.current < 1_000_000, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
                #expect(routes.inflight.current >= 1_000_000, "the withheld request holds its declared bytes")
                _ = FileManager.default.createFile(atPath: go, contents: nil)
                let output = try await run.output
                let lines = Dictionary(output.split(separator: "\n").compactMap { line -> (String, String)? in
                    let parts = line.split(separator: " ", maxSplits: 1)
                    return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
                }, uniquingKeysWith: { a, _ in a })
                #expect(lines["B"]?.hasPrefix("503 retry-after=1 ") == true, "\(output)")
                #expect(lines["B"]?.contains("as many batch bytes") == true, "\(output)")
                #expect(lines["C"]?.hasPrefix("202 ") == true, "\(output)")
                #expect(lines["A"]?.hasPrefix("202 ") == true, "\(output)")
                #expect(lines["D"]?.hasPrefix("202 ") == true, "the budget is free again: \(output)")
            }
            #expect(routes.inflight.current == 0, "every reservation was returned")
            #expect(try await harness.records(expected: 3).count == 3)
        }
    }
}
