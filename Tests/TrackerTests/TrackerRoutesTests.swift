import HTTPSupport
import Core
import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import Tracker

/// The HTTP routes over the real router, Redis and Postgres.
@Suite(.timeLimit(.minutes(2)))
struct TrackerRoutesTests {
    struct Context: RequestContext, RemoteAddressRequestContext {
        var coreContext: CoreRequestContextStorage
        let remoteAddress: SocketAddress?
        init(source: ApplicationRequestContextSource) {
            coreContext = .init(source: source)
            remoteAddress = source.channel.remoteAddress
        }
    }

    static func body(_ key: String, url: String = "https://shop.example.com/checkout", version: String = "1.4.0") -> ByteBuffer {
        ByteBuffer(string: #"{"key":"\#(key)","url":"\#(url)","version":"\#(version)"}"#)
    }

    static func code(_ response: TestResponse) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }

    @Test func pingAndStatusOverHTTP() async throws {
        try await TrackerHarness.run { harness in
            let campaign = try await harness.campaign()
            let tracker = harness.tracker(clock: TestClock(Date()))
            let store = harness.store
            let cache = CampaignCache(ttl: .seconds(30), negativeTTL: .seconds(5), capacity: 100) {
                try await store.find(publicKey: $0)
            }
            let router = Router(context: Context.self)
            // Route plumbing only; the service's real authorization is tested over `replayd collector`
            // (InstallStatusAuthorizationTests).
            TrackerRoutes<Context>(tracker: tracker, campaigns: cache) { header, id throws(APIError) in
                guard header == "Bearer analyst" && id == campaign.id else { throw TrackerError.unauthorized }
            }.register(on: router)
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            let key = campaign.publicKey
            try await app.test(.router) { client in
                let origin: HTTPFields = [.contentType: "application/json", .origin: "https://shop.example.com"]
                try await client.execute(uri: "/v1/install", method: .post, headers: origin, body: Self.body(key)) { response in
                    #expect(response.status == .noContent)
                    #expect(response.headers[.accessControlAllowOrigin] == "https://shop.example.com")
                }
                // sendBeacon: text/plain, no preflight.
                try await client.execute(uri: "/v1/install", method: .post,
                                         headers: [.contentType: "text/plain;charset=UTF-8", .origin: "https://blog.example.org"],
                                         body: Self.body(key, url: "https://blog.example.org/post/1")) { response in
                    #expect(response.status == .noContent)
                }
                try await client.execute(uri: "/v1/install?key=\(key)", method: .options,
                                         headers: [.origin: "https://shop.example.com", .accessControlRequestMethod: "POST"]) { response in
                    #expect(response.status == .noContent)
                    #expect(response.headers[.accessControlAllowMethods] == "POST, OPTIONS")
                }
                let failures: [(HTTPFields, ByteBuffer, HTTPResponse.Status, String)] = [
                    (origin, Self.body("pk_unknownunknown"), .unauthorized, "unknown_key"),
                    (origin, Self.body(key, url: "https://blog.example.org/"), .forbidden, "origin_mismatch"),
                    ([.contentType: "application/json", .origin: "https://evil.example.net"],
                     Self.body(key, url: "https://evil.example.net/"), .forbidden, "origin_not_allowed"),
                    ([.contentType: "application/json"], Self.body(key, url: "https://evil.example.net/"), .forbidden, "origin_not_allowed"),
                    (origin, ByteBuffer(string: "{not json"), .badRequest, "malformed_ping"),
                    (origin, Self.body(key, url: "javascript:alert(1)"), .badRequest, "invalid_field"),
                    (origin, Self.body(key, version: "1.0 <script>"), .badRequest, "invalid_field"),
                    ([.contentType: "application/xml", .origin: "https://shop.example.com"], Self.body(key), .unsupportedMediaType, "unsupported_media_type"),
                    (origin, ByteBuffer(repeating: UInt8(ascii: " "), count: 20_000), .contentTooLarge, "payload_too_large"),
                ]
                for (headers, body, status, code) in failures {
                    try await client.execute(uri: "/v1/install", method: .post, headers: headers, body: body) { response in
                        #expect(response.status == status, "\(code)")
                        #expect(Self.code(response) == code)
                    }
                }
                try await client.execute(uri: "/v1/install", method: .get) { response in
                    #expect(response.status == .methodNotAllowed)
                }

                let path = "/v1/campaigns/\(campaign.id.uuidString.lowercased())/installs"
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .unauthorized)
                    #expect(Self.code(response) == "unauthorized")
                }
                try await client.execute(uri: path + "?from=2025-02-30", method: .get, headers: [.authorization: "Bearer analyst"]) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(uri: path + "?silent_days=0", method: .get, headers: [.authorization: "Bearer analyst"]) { response in
                    #expect(response.status == .ok)
                    let status = try InstallStatus.jsonDecoder().decode(InstallStatus.self, from: Data(response.body.readableBytesView))
                    #expect(status.installedSites == 2)
                    #expect(status.activeToday == 2)
                    #expect(Set(status.sites.map(\.host)) == ["shop.example.com", "blog.example.org"])
                    #expect(status.sites.allSatisfy { $0.snippetVersion == "1.4.0" })
                    #expect(status.daily.count == 30)
                    #expect(status.daily.last?.activeSites == 2)
                    #expect(status.campaignID == campaign.id)
                    let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                    #expect(object?["campaignID"] as? String == campaign.id.uuidString.lowercased(), "ids in lower case, as everywhere else")
                }
            }
        }
    }
}
