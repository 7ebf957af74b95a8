import Core
import Database
import Foundation
import PostgresNIO
import Testing
import TestSupport

/// Helpers for tests that run the real `replayd collector` and `replayd processor` binaries against
/// the stack: a campaign with its public key, a topic of their own (created and deleted with the
/// broker's CLI, since this test target does not link the Kafka module), batches posted to the
/// Collector over HTTP, and the processes' Prometheus metrics.
enum ProcessPipeline {
    /// Runs `body` with a migrated database and a fresh campaign (id and public key).
    static func withCampaign<T: Sendable>(_ body: @Sendable (PostgresClient, Campaign) async throws -> T) async throws -> T {
        let logger = Fixture.logger
        return try await PostgresClient.withClient(try DatabaseConfiguration(url: TestStack.postgresURL), logger: logger) { client in
            _ = try await Migrator(logger: logger).migrate(client)
            let campaign = try await CampaignStore(client: client, logger: logger)
                .create(.init(name: TestStack.uniqueName("uploader-kill"), allowedOrigins: ["https://example.com"]))
            return try await body(client, campaign)
        }
    }

    /// The running broker's CLI (`tansu`, found from the broker process) with `--broker` for the stack.
    static func brokerCommand(_ arguments: String) throws -> (status: Int32, output: String) {
        let pid = try #require(TestStack.brokerPID(), "the stack's broker is not running (scripts/stack up)")
        let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        return try shell("'\(binary)' \(arguments) --broker tcp://\(TestStack.kafkaBrokers)")
    }

    /// A topic (and its dead-letter topic) of their own for `body`; deleted afterwards.
    static func withTopic<T>(_ body: (String) async throws -> T) async throws -> T {
        let topic = TestStack.uniqueName("uploader-kill")
        for (name, partitions) in [(topic, 1), (topic + ".dlq", 1)] {
            let created = try brokerCommand("topic create --partitions \(partitions) '\(name)'")
            try #require(created.status == 0, "creating topic \(name): \(created.output)")
        }
        defer {
            _ = try? brokerCommand("topic delete '\(topic)'")
            _ = try? brokerCommand("topic delete '\(topic).dlq'")
        }
        return try await body(topic)
    }

    /// One batch as a browser posts it (`POST /v1/batch`, JSON).
    static func batchBody(key: String, session: String, seq: Int, events: String) -> Data {
        Data(#"{"key":"\#(key)","session":"\#(session)","seq":\#(seq),"events":\#(events),"page":{"url":"https://example.com/kill"}}"#.utf8)
    }

    /// POSTs one batch to the Collector with curl; returns the HTTP status. `Expect:` is turned off:
    /// curl otherwise waits a second for a `100 Continue` before sending a body over 1 MiB.
    static func post(_ body: Data, to collector: String) throws -> Int {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("batch") + ".json")
        try body.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try shell("curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Expect:' "
                               + "--data-binary @'\(file.path)' '\(collector)/v1/batch'")
        return Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// rrweb custom events (type 5) carrying `count` random base64 strings of `payloadBytes` random
    /// bytes each: valid batches that gzip barely shrinks (about 3:4).
    static func incompressibleEvents(count: Int, payloadBytes: Int, timestamp: Int64) -> String {
        var generator = SystemRandomNumberGenerator()
        let events = (0..<count).map { index -> String in
            var bytes = [UInt8](repeating: 0, count: payloadBytes)
            bytes.withUnsafeMutableBytes { raw in
                for offset in stride(from: 0, to: raw.count - 7, by: 8) {
                    raw.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
                }
            }
            let payload = Data(bytes).base64EncodedString()
            return #"{"type":5,"timestamp":\#(timestamp + Int64(index)),"data":{"tag":"blob","payload":{"n":\#(index),"b":"\#(payload)"}}}"#
        }
        return "[" + events.joined(separator: ",") + "]"
    }

    /// The value of one sample of a process's `/metrics` (e.g. `replayd_uploads_total{method="multipart"}`);
    /// 0 when the sample is not there yet (a counter never incremented).
    static func metric(_ sample: String, port: Int) throws -> Double {
        let result = try shell("curl -sf http://127.0.0.1:\(port)/metrics")
        guard result.status == 0 else { throw MetricsUnavailable(port: port, output: result.output) }
        for line in result.output.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            if line[..<space] == sample { return Double(line[line.index(after: space)...]) ?? 0 }
        }
        return 0
    }

    struct MetricsUnavailable: Error, CustomStringConvertible {
        var port: Int
        var output: String
        var description: String { "GET :\(port)/metrics failed: \(output.prefix(500))" }
    }

    /// One line of a segment: `{"seq":<seq>,"events":<events>}`, split without re-serialising the
    /// events, so they compare byte for byte with what was posted.
    static func parseLine(_ line: ArraySlice<UInt8>) -> (seq: Int, events: String)? {
        let text = String(decoding: line, as: UTF8.self)
        let head = #"{"seq":"#, middle = #","events":"#
        guard text.hasPrefix(head), text.hasSuffix("}"), let comma = text.range(of: middle) else { return nil }
        guard let seq = Int(text[text.index(text.startIndex, offsetBy: head.count)..<comma.lowerBound]) else { return nil }
        return (seq, String(text[comma.upperBound..<text.index(before: text.endIndex)]))
    }
}
