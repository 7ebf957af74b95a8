import Core
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Playback
import TestSupport
import Testing

/// Every playback HTML page carries a Content-Security-Policy (the replay page's inline script only
/// by its nonce, scripts only from this server and the asset origin, frame-ancestors as configured),
/// `nosniff` and `no-referrer`; JSON answers carry `nosniff`.
@Suite("Playback pages are locked down")
struct PageSecurityTests {
    static let csp = HTTPField.Name("Content-Security-Policy")!
    static let nosniff = HTTPField.Name("X-Content-Type-Options")!
    static let referrer = HTTPField.Name("Referrer-Policy")!

    @Test("replay page, sessions page, error page and events: CSP with a per-response nonce, nosniff, no-referrer")
    func headers() async throws {
        try await PlaybackHarness.run(configure: {
            $0.frameAncestors = "'self' https://admin.example.com"
            $0.rrwebAssetBaseURL = "https://cdn.example.net/rrweb-player/"
        }) { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("csp")
            try await harness.storeSession(campaign: campaign.id, session: session, segments: [[.marked(0)]])
            let link = SignedLink.valid(for: .seconds(600), session: session, campaignID: campaign.id)
            let replay = "/replay/\(session)?\(link.queryString(secret: PlaybackHarness.linkSecret))"
            let listLink = SignedLink.valid(for: .seconds(600), session: nil, campaignID: campaign.id)
            let list = "/campaigns/\(campaign.id.uuidString.lowercased())/sessions/page?\(listLink.queryString(secret: PlaybackHarness.linkSecret))"
            try await harness.application().test(.router) { client in
                var nonces: [String] = []
                for _ in 0..<2 {
                    let page = try await client.execute(uri: replay, method: .get)
                    #expect(page.status == .ok)
                    let policy = try #require(page.headers[Self.csp])
                    #expect(policy.contains("default-src 'none'"))
                    #expect(policy.contains("frame-ancestors 'self' https://admin.example.com"))
                    #expect(policy.contains("base-uri 'none'") && policy.contains("object-src 'none'"))
                    let scripts = try #require(policy.split(separator: ";").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("script-src") })
                    #expect(!scripts.contains("unsafe-inline") && !scripts.contains("*"))
                    #expect(scripts.contains("'self'") && scripts.contains("https://cdn.example.net"))
                    let nonce = try #require(scripts.split(separator: " ").first { $0.hasPrefix("'nonce-") })
                        .dropFirst("'nonce-".count).dropLast()
                    #expect(page.text.contains("<script nonce=\"\(nonce)\">"), "the inline script carries the header's nonce")
                    #expect(page.text.components(separatedBy: "<script").count - 1 == 2, "the player build and the inline script, nothing else")
                    #expect(page.headers[Self.nosniff] == "nosniff" && page.headers[Self.referrer] == "no-referrer")
                    nonces.append(String(nonce))
                }
                #expect(nonces[0] != nonces[1], "a fresh nonce per response")

                let sessions = try await client.execute(uri: list, method: .get)
                #expect(sessions.status == .ok)
                let listPolicy = try #require(sessions.headers[Self.csp])
                #expect(listPolicy.contains("default-src 'none'") && !listPolicy.contains("script-src"))
                #expect(listPolicy.contains("frame-ancestors 'self' https://admin.example.com"))
                #expect(sessions.headers[Self.nosniff] == "nosniff")

                let refused = try await client.execute(uri: "/replay/\(session)", method: .get)
                #expect(refused.status == .unauthorized)
                #expect(refused.headers[Self.csp]?.contains("default-src 'none'") == true)
                #expect(refused.headers[Self.nosniff] == "nosniff")

                let events = try await client.execute(uri: "/v1/sessions/\(session)/events?\(link.queryString(secret: PlaybackHarness.linkSecret))", method: .get)
                #expect(events.status == .ok && events.headers[Self.nosniff] == "nosniff")
            }
        }
    }

    @Test("frame-ancestors defaults to 'none'; REPLAYD_FRAME_ANCESTORS sets it and refuses a policy separator")
    func frameAncestorsSetting() throws {
        var reader = EnvironmentReader([:])
        #expect(PlaybackConfiguration(from: &reader).frameAncestors == "'none'")
        var custom = EnvironmentReader(["REPLAYD_FRAME_ANCESTORS": "'self' https://admin.example.com"])
        #expect(PlaybackConfiguration(from: &custom).frameAncestors == "'self' https://admin.example.com")
        var injected = EnvironmentReader(["REPLAYD_FRAME_ANCESTORS": "'self'; script-src *"])
        _ = PlaybackConfiguration(from: &injected)
        #expect(throws: (any Error).self) { try injected.validate() }
        #expect(PageSecurity.origin(of: "https://cdn.example.net:8443/rrweb/") == "https://cdn.example.net:8443")
        #expect(PageSecurity.origin(of: "/assets/rrweb") == nil)
    }
}
