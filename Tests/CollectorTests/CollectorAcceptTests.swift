import Redis
import Database
import Synchronization
import Core
import Collector
import Foundation
import Gzip
import HTTPTypes
import HummingbirdTesting
import Kafka
import NIOCore
import TestSupport
import Testing

@Suite("Collector accepts valid batches into Kafka", .serialized)
struct CollectorAcceptTests {
    @Test("202 only with the batch on Kafka: key, value and headers")
    func acceptsAndPublishes() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign()
            let body = Fixtures.batch(key: campaign.publicKey, session: "sess-A", seq: 0)
            var fields = jsonHeaders
            fields[.origin] = "https://shop.example.com"
            fields[.userAgent] = "test-agent/1.0"
            let headers = fields
            try await harness.application().test(.router) { client in
                let response = try await client.execute(uri: "/v1/batch", method: .post, headers: headers, body: body)
                #expect(response.status == .accepted)
                #expect(String(buffer: response.body) == "{\"accepted\":20}")
                #expect(response.headers[.accessControlAllowOrigin] == "https://shop.example.com")
            }
            let records = try await harness.records(expected: 1)
            try #require(records.count == 1)
            let record = records[0]
            #expect(record.key == Array("sess-A".utf8))
            #expect(record.value == Array(body.readableBytesView))
            #expect(record.header("campaign") == Array(campaign.id.uuidString.lowercased().utf8))
            #expect(record.header("seq") == Array("0".utf8))
            #expect(record.header("events") == Array("20".utf8))
            #expect(record.header("user-agent") == Array("test-agent/1.0".utf8))
            #expect(record.header("received-at") != nil)
        }
    }

    @Test("gzip and text/plain (sendBeacon) bodies are accepted and stored decompressed")
    func acceptsGzipAndBeacon() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign()
            let plain = Fixtures.batch(key: campaign.publicKey, session: "sess-G", seq: 0)
            let compressed = try Gzip.compress(Array(plain.readableBytesView))
            try await harness.application().test(.router) { client in
                var headers = jsonHeaders
                headers[.contentEncoding] = "gzip"
                let gz = try await client.execute(uri: "/v1/batch", method: .post, headers: headers, body: ByteBuffer(bytes: compressed))
                #expect(gz.status == .accepted)
                let beacon = try await client.execute(
                    uri: "/v1/batch?key=\(campaign.publicKey)", method: .post, headers: [.contentType: "text/plain;charset=UTF-8"],
                    body: Fixtures.batch(key: campaign.publicKey, session: "sess-G", seq: 1))
                #expect(beacon.status == .accepted)
            }
            let records = try await harness.records(expected: 2)
            #expect(records.count == 2)
            #expect(records.first?.value == Array(plain.readableBytesView))
        }
    }

    @Test("CORS: preflight grants only the campaign's origins, wildcards included")
    func preflight() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign()
            try await harness.application().test(.router) { client in
                for (origin, allowed) in [("https://shop.example.com", true), ("https://a.b.example.org", true),
                                          ("https://example.org", false), ("https://evil.com", false),
                                          ("http://shop.example.com", false)] {
                    let response = try await client.execute(
                        uri: "/v1/batch?key=\(campaign.publicKey)", method: .options,
                        headers: [.origin: origin, .accessControlRequestMethod: "POST"])
                    if allowed {
                        #expect(response.status == .noContent, "\(origin)")
                        #expect(response.headers[.accessControlAllowOrigin] == origin)
                        #expect(response.headers[.accessControlAllowHeaders]?.contains("Content-Encoding") == true)
                    } else {
                        #expect(response.status == .forbidden, "\(origin)")
                        #expect(response.headers[.accessControlAllowOrigin] == nil)
                    }
                }
                // No Origin (server-side senders, k6): accepted.
                let direct = try await client.execute(uri: "/v1/batch", method: .post, headers: jsonHeaders,
                                                      body: Fixtures.batch(key: campaign.publicKey, session: "s", seq: 0))
                #expect(direct.status == .accepted)
            }
        }
    }

    @Test("the snippet is served as JavaScript")
    func snippet() async throws {
        try await CollectorHarness.run { harness in
            try await harness.application().test(.router) { client in
                let response = try await client.execute(uri: "/snippet.js", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/javascript") == true)
                #expect(String(buffer: response.body).contains("sendBeacon"))
            }
        }
    }

    @Test("a burst for one unknown key makes one campaign query (coalesced, negative-cached)")
    func campaignCacheCoalesces() async throws {
        let calls = Counter()
        let cache = CampaignCache(ttl: .seconds(30), negativeTTL: .seconds(30), capacity: 10) { _ in
            calls.increment()
            try await Task.sleep(for: .milliseconds(100))
            return nil
        }
        try await withThrowingTaskGroup(of: Campaign?.self) { group in
            for _ in 0..<200 { group.addTask { try await cache.campaign(forKey: "pk_same") } }
            for try await result in group { #expect(result == nil) }
        }
        _ = try await cache.campaign(forKey: "pk_same")
        #expect(calls.value == 1)
    }
}

/// A thread-safe counter for tests.
final class Counter: Sendable {
    private let storage = Mutex(0)
    func increment() { storage.withLock { $0 += 1 } }
    var value: Int { storage.withLock { $0 } }
}
