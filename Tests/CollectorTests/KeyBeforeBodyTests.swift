import Collector
import Core
import Database
import Foundation
import HTTPSupport
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

/// The key named in the URL (`?key=`, as the snippet sends it) or in `X-Replayd-Key` is checked
/// before the body is read: a client that declared a 16 MiB body and sent 1 KiB of it gets its
/// refusal at once, and the connection closes without the rest being read.
@Suite("Collector checks the key before reading the body", .serialized)
struct KeyBeforeBodyTests {
    /// Sends a request head declaring `declared` bytes and only the first KiB of body, then reads
    /// what comes back within 5 s (the rest of the body is never sent).
    static func withheldBody(port: Int, path: String, headers: [String: String], declared: Int = 16 << 20) async throws -> (status: Int, code: String?, closed: Bool) {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("withheld") + ".py").path
        let head = (["POST \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Content-Type: application/json", "Content-Length: \(declared)"]
            + headers.map { "\($0.key): \($0.value)" }).joined(separator: "\\r\\n") + "\\r\\n\\r\\n"
        try """
            import socket, sys, time
            s = socket.create_connection(("127.0.0.1", \(port)))
            s.sendall(b"\(head)" + b"{" * 1024)
            s.settimeout(5)
            data = b""
            closed = False
            try:
                while b"\\r\\n\\r\\n" not in data or len(data.split(b"\\r\\n\\r\\n", 1)[1]) < 20:
                    chunk = s.recv(65536)
                    if not chunk:
                        closed = True
                        break
                    data += chunk
                if not closed:
                    s.settimeout(3)
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            closed = True
                            break
                        data += chunk
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed = True
            sys.stdout.write(data.decode("utf-8", "replace") + ("\\nCLOSED" if closed else "\\nOPEN"))
            """.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        let output = try await shellAsync("timeout 20 python3 '\(script)'").output
        let status = output.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let code = output.range(of: "\"code\":\"").map { output[$0.upperBound...].prefix { $0 != "\"" } }.map(String.init)
        return (status, code, output.hasSuffix("CLOSED"))
    }

    @Test("unknown key, foreign origin and paused campaign are refused while a 16 MiB body is withheld")
    func refusedBeforeTheBody() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign()
            let paused = try await harness.campaign()
            _ = try await harness.store.update(id: paused.id, paused: true)
            try await harness.application().test(.live) { client in
                let port = try #require(client.port)
                let unknown = try await Self.withheldBody(port: port, path: "/v1/batch?key=pk_doesnotexist000000000000", headers: [:])
                #expect(unknown.status == 401 && unknown.code == "unknown_key", "\(unknown)")
                #expect(unknown.closed, "the connection closes instead of reading the body")
                let header = try await Self.withheldBody(port: port, path: "/v1/batch", headers: ["X-Replayd-Key": "pk_doesnotexist000000000000"])
                #expect(header.status == 401 && header.code == "unknown_key", "\(header)")
                let foreign = try await Self.withheldBody(port: port, path: "/v1/batch?key=\(campaign.publicKey)",
                                                          headers: ["Origin": "https://evil.example.net"])
                #expect(foreign.status == 403 && foreign.code == "origin_not_allowed", "\(foreign)")
                let stopped = try await Self.withheldBody(port: port, path: "/v1/batch", headers: ["X-Replayd-Key": paused.publicKey])
                #expect(stopped.status == 403 && stopped.code == "campaign_paused", "\(stopped)")
                // A known key is let through to the body (which never completes): no early answer.
                let known = try await Self.withheldBody(port: port, path: "/v1/batch?key=\(campaign.publicKey)", headers: [:])
                #expect(known.status == 0, "a known key waits for its body: \(known)")
            }
            #expect(try await harness.topicIsEmpty())
        }
    }

    @Test("a key in X-Replayd-Key is accepted with a matching body and refused with another")
    func headerKey() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign()
            let other = try await harness.campaign()
            try await harness.application().test(.router) { client in
                var headers: HTTPFields = [.contentType: "application/json"]
                headers[CollectorRoutes<IngestRequestContext>.keyHeader] = campaign.publicKey
                let accepted = try await client.execute(uri: "/v1/batch", method: .post, headers: headers,
                                                        body: Fixtures.batch(key: campaign.publicKey, session: "hk1", seq: 0))
                #expect(accepted.status == .accepted, "\(String(buffer: accepted.body))")
                let mismatched = try await client.execute(uri: "/v1/batch", method: .post, headers: headers,
                                                          body: Fixtures.batch(key: other.publicKey, session: "hk2", seq: 0))
                #expect(mismatched.status == .badRequest && mismatched.errorCode == "invalid_field")
            }
        }
    }
}
