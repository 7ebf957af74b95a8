import Kafka
import Redis
import Database
import Core
import Collector
import Foundation
import Gzip
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

/// Every refusal of `POST /v1/batch`: status, code, and that nothing reached Kafka.
@Suite("Collector refuses bad batches with specific errors", .serialized)
struct CollectorErrorTests {
    func expectRefusal(
        _ status: HTTPResponse.Status, _ code: String,
        configure: @Sendable (inout CollectorConfiguration) -> Void = { _ in },
        request: @escaping @Sendable (CollectorHarness, String) async throws -> (method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?, uri: String)
    ) async throws {
        try await CollectorHarness.run(configure: configure) { harness in
            let campaign = try await harness.campaign()
            let (method, headers, body, uri) = try await request(harness, campaign.publicKey)
            try await harness.application().test(.router) { client in
                let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
                #expect(response.status == status, "body: \(String(buffer: response.body))")
                #expect(response.errorCode == code)
                #expect(!response.errorMessage.isEmpty)
            }
            #expect(try await harness.topicIsEmpty(), "a refused batch must not reach Kafka")
        }
    }

    @Test func malformedJSON() async throws {
        try await expectRefusal(.badRequest, "malformed_batch") { _, _ in
            (.post, jsonHeaders, Fixtures.json("{\"key\": \"pk_"), "/v1/batch")
        }
    }

    @Test func missingField() async throws {
        try await expectRefusal(.badRequest, "invalid_field") { _, key in
            (.post, jsonHeaders, Fixtures.json("{\"key\":\"\(key)\",\"session\":\"s1\",\"events\":[]}"), "/v1/batch")
        }
    }

    @Test func badEventType() async throws {
        try await expectRefusal(.badRequest, "invalid_field") { _, key in
            let now = Int(Date().timeIntervalSince1970 * 1000)
            return (.post, jsonHeaders,
                    Fixtures.json("{\"key\":\"\(key)\",\"session\":\"s1\",\"seq\":0,\"events\":[{\"type\":-1,\"timestamp\":\(now)}]}"),
                    "/v1/batch")
        }
    }

    @Test func timestampOutsideSkew() async throws {
        try await expectRefusal(.badRequest, "invalid_field") { _, key in
            (.post, jsonHeaders,
             Fixtures.json("{\"key\":\"\(key)\",\"session\":\"s1\",\"seq\":0,\"events\":[{\"type\":2,\"timestamp\":1000}]}"),
             "/v1/batch")
        }
    }

    @Test func badSessionID() async throws {
        try await expectRefusal(.badRequest, "invalid_field") { _, key in
            (.post, jsonHeaders, Fixtures.batch(key: key, session: "no spaces/allowed", seq: 0), "/v1/batch")
        }
    }

    @Test func negativeSeq() async throws {
        try await expectRefusal(.badRequest, "invalid_field") { _, key in
            (.post, jsonHeaders, Fixtures.batch(key: key, session: "s1", seq: -1), "/v1/batch")
        }
    }

    @Test func unknownKey() async throws {
        try await expectRefusal(.unauthorized, "unknown_key") { _, _ in
            (.post, jsonHeaders, Fixtures.batch(key: "pk_doesnotexist000000000000", session: "s1", seq: 0), "/v1/batch")
        }
    }

    @Test func foreignOrigin() async throws {
        try await expectRefusal(.forbidden, "origin_not_allowed") { _, key in
            var headers = jsonHeaders
            headers[.origin] = "https://evil.example.net"
            return (.post, headers, Fixtures.batch(key: key, session: "s1", seq: 0), "/v1/batch")
        }
    }

    @Test func pausedCampaign() async throws {
        try await expectRefusal(.forbidden, "campaign_paused") { harness, key in
            let campaign = try await harness.store.find(publicKey: key)!
            _ = try await harness.store.update(id: campaign.id, paused: true)
            return (.post, jsonHeaders, Fixtures.batch(key: key, session: "s1", seq: 0), "/v1/batch")
        }
    }

    @Test func wrongMethod() async throws {
        try await expectRefusal(.methodNotAllowed, "method_not_allowed") { _, _ in (.get, [:], nil, "/v1/batch") }
    }

    @Test func lengthRequired() async throws {
        try await expectRefusal(.init(code: 411), "length_required") { _, _ in (.post, jsonHeaders, nil, "/v1/batch") }
    }

    @Test func tooLargeByLength() async throws {
        try await expectRefusal(.contentTooLarge, "payload_too_large", configure: { $0.maxBatchBytes = 4096 }) { _, key in
            (.post, jsonHeaders, Fixtures.batch(key: key, session: "s1", seq: 0), "/v1/batch")
        }
    }

    @Test func gzipBombStopsAtTheLimit() async throws {
        try await expectRefusal(.contentTooLarge, "payload_too_large", configure: { $0.maxBatchBytes = 1 << 20 }) { _, key in
            // 64 MiB of spaces inside a valid JSON prefix, compressed to ~64 KiB.
            let deflater = GzipDeflater()
            var compressed: [UInt8] = []
            let prefix = Array("{\"key\":\"\(key)\",\"session\":\"s1\",\"seq\":0,\"events\":[".utf8)
            let spaces = [UInt8](repeating: 0x20, count: 1 << 20)
            try prefix.withUnsafeBytes { try deflater.compress($0) { compressed.append(contentsOf: $0) } }
            for _ in 0..<64 { try spaces.withUnsafeBytes { try deflater.compress($0) { compressed.append(contentsOf: $0) } } }
            try deflater.finish { compressed.append(contentsOf: $0) }
            var headers = jsonHeaders
            headers[.contentEncoding] = "gzip"
            return (.post, headers, ByteBuffer(bytes: compressed), "/v1/batch")
        }
    }

    @Test func unsupportedEncoding() async throws {
        try await expectRefusal(.unsupportedMediaType, "unsupported_encoding") { _, key in
            var headers = jsonHeaders
            headers[.contentEncoding] = "br"
            return (.post, headers, Fixtures.batch(key: key, session: "s1", seq: 0), "/v1/batch")
        }
    }

    @Test func unsupportedType() async throws {
        try await expectRefusal(.unsupportedMediaType, "unsupported_media_type") { _, key in
            (.post, [.contentType: "application/xml"], Fixtures.batch(key: key, session: "s1", seq: 0), "/v1/batch")
        }
    }

    @Test func corruptGzip() async throws {
        try await expectRefusal(.badRequest, "malformed_batch") { _, _ in
            var headers = jsonHeaders
            headers[.contentEncoding] = "gzip"
            return (.post, headers, ByteBuffer(bytes: [0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00]), "/v1/batch")
        }
    }
}
