import Core
import NIOCore
import S3
import Foundation
import HTTPTypes
import HummingbirdTesting
import Playback
import TestSupport
import Testing

@Suite("Unauthorised, expired and wrong-campaign requests are refused")
struct AccessTests {
    @Test("missing, malformed, unknown, public-key, revoked and expired tokens get 401 with a clear code")
    func badTokens() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            try await harness.storeSession(campaign: campaign.id, session: session, segments: [[.marked(0)]])
            let (revokedToken, revokedSecret) = try await harness.tokens.create(name: "leaver")
            try await harness.tokens.revoke(id: revokedToken.id)
            let expired = try await harness.bearer(expiresAt: Date().addingTimeInterval(-60))
            let cases: [(HTTPFields, String, String)] = [
                ([:], "unauthorized", "needs an analyst token"),
                ([.authorization: "Basic dXNlcjpwYXNz"], "unauthorized", "Bearer"),
                ([.authorization: "Bearer rat_00000000000000000000000000000000"], "unauthorized", "not known"),
                ([.authorization: "Bearer \(campaign.publicKey)"], "public_key_not_allowed", "never reads"),
                ([.authorization: "Bearer \(revokedSecret)"], "unauthorized", "revoked"),
                (expired, "token_expired", "expired"),
            ]
            try await harness.application().test(.router) { client in
                for (headers, code, text) in cases {
                    for uri in ["/v1/sessions/\(session)/events", "/v1/campaigns/\(campaign.id.uuidString)/sessions"] {
                        try await client.execute(uri: uri, method: .get, headers: headers) { response in
                            #expect(response.status == .unauthorized, "\(uri) \(headers)")
                            #expect(response.errorCode == code, "\(uri) \(headers): \(response.text)")
                            #expect(response.errorMessage.contains(text), "\(response.errorMessage)")
                            #expect(response.headers[.wwwAuthenticate] != nil)
                        }
                    }
                }
            }
        }
    }

    @Test("a token limited to one campaign gets 403 for another campaign and 404 for its sessions")
    func wrongCampaignToken() async throws {
        try await PlaybackHarness.run { harness in
            let mine = try await harness.campaign()
            let theirs = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            try await harness.storeSession(campaign: theirs.id, session: session, segments: [[.marked(0)]])
            let scoped = try await harness.bearer(campaign: mine.id)
            let global = try await harness.bearer()
            try await harness.application().test(.router) { client in
                try await client.execute(uri: "/v1/campaigns/\(theirs.id.uuidString)/sessions", method: .get, headers: scoped) { response in
                    #expect(response.status == .forbidden)
                    #expect(response.errorCode == "forbidden_campaign")
                    #expect(response.errorMessage.contains(mine.id.uuidString.lowercased()))
                }
                try await client.execute(uri: "/v1/sessions/\(session)/events?campaign=\(theirs.id.uuidString)", method: .get, headers: scoped) { response in
                    #expect(response.status == .forbidden)
                    #expect(response.errorCode == "forbidden_campaign")
                }
                try await client.execute(uri: "/v1/sessions/\(session)/events", method: .get, headers: scoped) { response in
                    #expect(response.status == .notFound)
                    #expect(response.errorCode == "session_not_found")
                }
                try await client.execute(uri: "/v1/sessions/\(session)/events", method: .get, headers: global) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/v1/campaigns/\(mine.id.uuidString)/sessions", method: .get, headers: scoped) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    @Test("signed links: valid, expired, altered, for another session or campaign")
    func signedLinks() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let other = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            let otherSession = TestStack.uniqueName("s")
            try await harness.storeSession(campaign: campaign.id, session: session, segments: [[.marked(0)]])
            try await harness.storeSession(campaign: campaign.id, session: otherSession, segments: [[.marked(0)]])
            let secret = PlaybackHarness.linkSecret
            let valid = SignedLink.valid(for: .seconds(600), session: session, campaignID: campaign.id)
            let expired = SignedLink(session: session, campaignID: campaign.id, expires: Int64(Date().timeIntervalSince1970) - 5)
            let campaignWide = SignedLink.valid(for: .seconds(600), session: nil, campaignID: campaign.id)
            let forOther = SignedLink.valid(for: .seconds(600), session: session, campaignID: other.id)
            let altered = valid.queryString(secret: secret).replacingOccurrences(of: "exp=\(valid.expires)", with: "exp=\(valid.expires + 86400)")
            try await harness.application().test(.router) { client in
                func events(_ session: String, _ query: String) async throws -> TestResponse {
                    try await client.execute(uri: "/v1/sessions/\(session)/events?\(query)", method: .get)
                }
                #expect(try await events(session, valid.queryString(secret: secret)).status == .ok)
                #expect(try await events(session, campaignWide.queryString(secret: secret)).status == .ok)
                #expect(try await events(otherSession, campaignWide.queryString(secret: secret)).status == .ok)
                let old = try await events(session, expired.queryString(secret: secret))
                #expect(old.status == .unauthorized)
                #expect(old.errorCode == "link_expired")
                let changed = try await events(session, altered)
                #expect(changed.status == .unauthorized)
                #expect(changed.errorCode == "unauthorized")
                #expect(changed.errorMessage.contains("signature"))
                let wrongSession = try await events(otherSession, valid.queryString(secret: secret))
                #expect(wrongSession.status == .unauthorized)
                let wrongCampaign = try await events(session, forOther.queryString(secret: secret))
                #expect(wrongCampaign.status == .notFound)  // valid for campaign `other`, which has no such session
                let foreignSecret = try await events(session, valid.queryString(secret: "another-secret-0123456789"))
                #expect(foreignSecret.errorCode == "unauthorized")
                // A session link cannot list the campaign; a campaign link cannot list another campaign.
                let list = try await client.execute(
                    uri: "/v1/campaigns/\(campaign.id.uuidString)/sessions?\(valid.queryString(secret: secret))", method: .get)
                #expect(list.status == .unauthorized)
                let otherList = try await client.execute(
                    uri: "/v1/campaigns/\(other.id.uuidString)/sessions?\(campaignWide.queryString(secret: secret))", method: .get)
                #expect(otherList.status == .forbidden)
                #expect(otherList.errorCode == "forbidden_campaign")
            }
            // Without a configured secret, links are refused with a message that says so.
            var noSecret = harness.configuration
            noSecret.linkSecret = nil
            try await harness.application(noSecret).test(.router) { client in
                let response = try await client.execute(uri: "/v1/sessions/\(session)/events?\(valid.queryString(secret: secret))", method: .get)
                #expect(response.status == .unauthorized)
                #expect(response.errorMessage.contains("REPLAYD_LINK_SECRET"))
            }
        }
    }

    @Test("every analyst route refuses another campaign's token, expired, revoked and public-key credentials, and a link for another session")
    func everyRouteRefuses() async throws {
        try await PlaybackHarness.run { harness in
            let mine = try await harness.campaign()
            let theirs = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            let sibling = TestStack.uniqueName("s")
            try await harness.storeSession(campaign: mine.id, session: session, segments: [[.marked(0)]])
            try await harness.storeSession(campaign: mine.id, session: sibling, segments: [[.marked(0)]])
            let owner = try await harness.bearer(campaign: mine.id)
            let stranger = try await harness.bearer(campaign: theirs.id)
            let expired = try await harness.bearer(campaign: mine.id, expiresAt: Date().addingTimeInterval(-60))
            let (revokedToken, revokedSecret) = try await harness.tokens.create(name: "leaver", campaignID: mine.id)
            try await harness.tokens.revoke(id: revokedToken.id)
            let siblingLink = SignedLink.valid(for: .seconds(600), session: sibling, campaignID: mine.id)
                .queryString(secret: PlaybackHarness.linkSecret)
            let campaignID = mine.id.uuidString.lowercased()
            // Campaign routes answer 403 to another campaign's token; session routes answer 404, so
            // a token learns nothing about sessions outside its campaigns.
            let routes: [(uri: String, stranger: (HTTPResponse.Status, String))] = [
                ("/v1/campaigns/\(campaignID)/sessions", (.forbidden, "forbidden_campaign")),
                ("/campaigns/\(campaignID)/sessions/page", (.forbidden, "forbidden_campaign")),
                ("/v1/sessions/\(session)/events", (.notFound, "session_not_found")),
                ("/v1/sessions/\(session)/segments", (.notFound, "session_not_found")),
                ("/replay/\(session)", (.notFound, "session_not_found")),
            ]
            @Sendable func code(_ response: TestResponse) -> String? {
                response.errorCode ?? response.headers[HTTPField.Name("X-Replayd-Error")!]
            }
            try await harness.application().test(.router) { client in
                for route in routes {
                    let allowed = try await client.execute(uri: route.uri, method: .get, headers: owner)
                    #expect(allowed.status == .ok, "\(route.uri) with the campaign's own token: \(allowed.status)")
                    let cases: [(String, HTTPFields, HTTPResponse.Status, String)] = [
                        ("another campaign's token", stranger, route.stranger.0, route.stranger.1),
                        ("an expired token", expired, .unauthorized, "token_expired"),
                        ("a revoked token", [.authorization: "Bearer \(revokedSecret)"], .unauthorized, "unauthorized"),
                        ("the public key", [.authorization: "Bearer \(mine.publicKey)"], .unauthorized, "public_key_not_allowed"),
                    ]
                    for (what, headers, status, expectedCode) in cases {
                        let response = try await client.execute(uri: route.uri, method: .get, headers: headers)
                        #expect(response.status == status && code(response) == expectedCode,
                                "\(route.uri) with \(what): \(response.status) \(code(response) ?? "-")")
                    }
                    // A link signed for the sibling session (or, on campaign routes, for one session).
                    let separator = route.uri.contains("?") ? "&" : "?"
                    let linked = try await client.execute(uri: route.uri + separator + siblingLink, method: .get)
                    #expect(linked.status == .unauthorized && code(linked) == "unauthorized",
                            "\(route.uri) with a link for another session: \(linked.status) \(code(linked) ?? "-")")
                }
            }
        }
    }

    @Test("the replay page refuses an expired link with an HTML error page")
    func pageErrors() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let session = TestStack.uniqueName("s")
            try await harness.storeSession(campaign: campaign.id, session: session, segments: [[.marked(0)]])
            let expired = SignedLink(session: session, campaignID: campaign.id, expires: 1000)
            try await harness.application().test(.router) { client in
                try await client.execute(uri: "/replay/\(session)?\(expired.queryString(secret: PlaybackHarness.linkSecret))", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(response.text.contains("link_expired"))
                }
                try await client.execute(uri: "/replay/\(session)", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[HTTPField.Name("X-Replayd-Error")!] == "unauthorized")
                }
            }
        }
    }
}
