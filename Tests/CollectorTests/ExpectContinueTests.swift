import Foundation
import TestSupport
import Testing

/// The real `replayd collector`: a client that sends `Expect: 100-continue` (curl does for bodies
/// over 1 MiB) gets `100 Continue` before it sends the body, then the batch is accepted; a request
/// refused on its key gets its refusal instead, and never sends the body.
@Suite("Collector answers Expect: 100-continue", .serialized)
struct ExpectContinueTests {
    @Test func largeBatchWithExpectGetsContinueThenAccepted() throws {
        let topic = TestStack.uniqueName("expect")
        let environment = ["REPLAYD_KAFKA_TOPIC": topic, "REPLAYD_LOG_LEVEL": "warning"]
        _ = try ReplaydProcess.command("migrate", environment: environment)
        let created = try ReplaydProcess.command("campaign create --name \(topic) --origin '*' --json", environment: environment)
        let key = try #require((try JSONSerialization.jsonObject(with: Data(created.utf8)) as? [String: String])?["key"])
        let port = try TestStack.freePort()
        let collector = try ReplaydProcess.start("collector", port: port, environment: environment)
        defer { collector.stop() }

        // 2 MiB of events: over curl's threshold for asking first.
        let now = Int(Date().timeIntervalSince1970 * 1000)
        let text = String(repeating: "x", count: 64 << 10)
        let events = (0..<32).map { _ in #"{"type":3,"timestamp":\#(now),"data":{"source":0,"text":"\#(text)"}}"# }.joined(separator: ",")
        let body = #"{"key":"\#(key)","session":"expect-1","seq":0,"events":[\#(events)]}"#
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("expect-body")).path
        try body.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }

        let result = try shell("curl -sv -o /dev/null -w 'status=%{http_code}' -H 'Content-Type: application/json' -H 'Expect: 100-continue' --data-binary @'\(file)' http://127.0.0.1:\(port)/v1/batch 2>&1")
        #expect(result.output.contains("< HTTP/1.1 100 Continue"), "\(result.output.suffix(2000))")
        #expect(result.output.contains("status=202"), "\(result.output.suffix(2000))")

        // An unknown key in the URL: refused at once, with no `100 Continue`, so curl never sends the body.
        let refused = try shell("curl -sv -o /dev/null -w 'status=%{http_code} uploaded=%{size_upload}' -H 'Content-Type: application/json' -H 'Expect: 100-continue' --data-binary @'\(file)' 'http://127.0.0.1:\(port)/v1/batch?key=pk_doesnotexist000000000000' 2>&1")
        #expect(!refused.output.contains("100 Continue"), "\(refused.output.suffix(2000))")
        #expect(refused.output.contains("status=401 uploaded=0"), "\(refused.output.suffix(2000))")
        // Its own key in the URL: the `100 Continue` comes when the body is wanted, and the batch is accepted.
        let keyed = try shell("curl -sv -o /dev/null -w 'status=%{http_code}' -H 'Content-Type: application/json' -H 'Expect: 100-continue' --data-binary @'\(file)' 'http://127.0.0.1:\(port)/v1/batch?key=\(key)' 2>&1")
        #expect(keyed.output.contains("< HTTP/1.1 100 Continue") && keyed.output.contains("status=202"), "\(keyed.output.suffix(2000))")
    }
}
