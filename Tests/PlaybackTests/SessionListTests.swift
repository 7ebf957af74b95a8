import Core
import NIOCore
import S3
import Foundation
import HTTPTypes
import HummingbirdTesting
import Playback
import TestSupport
import Testing

@Suite("GET /v1/campaigns/{id}/sessions")
struct SessionListTests {
    @Test("sessions by start time with their details, paginated by cursor, filtered by from/to")
    func pages() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let base = Date(timeIntervalSince1970: 1_760_000_000.123456)
            // Two sessions share a start time: the id breaks the tie.
            let starts: [(String, TimeInterval)] = [("e", 40), ("b", 10), ("a", 0), ("c", 10), ("d", 30)]
            for (name, offset) in starts {
                try await harness.insertSessionRow(campaign: campaign.id, session: "sess-\(name)", start: base.addingTimeInterval(offset),
                                                   durationSeconds: 90.5, events: 42, bytes: 4096, firstURL: "https://shop.example.com/\(name)")
            }
            let auth = try await harness.bearer()
            let uri = "/v1/campaigns/\(campaign.id.uuidString.lowercased())/sessions"
            try await harness.application().test(.router) { client in
                var seen: [String] = []
                var cursor: String?
                repeat {
                    let query = "?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let response = try await client.execute(uri: uri + query, method: .get, headers: auth)
                    #expect(response.status == .ok, "\(response.text)")
                    let body = try #require(response.json as? [String: Any])
                    let sessions = try #require(body["sessions"] as? [[String: Any]])
                    #expect(sessions.count <= 2)
                    seen += sessions.compactMap { $0["id"] as? String }
                    cursor = body["next_cursor"] as? String
                    if let first = sessions.first, first["id"] as? String == "sess-a" {
                        #expect(first["duration_ms"] as? Int == 90_500)
                        #expect(first["event_count"] as? Int == 42)
                        #expect(first["bytes"] as? Int == 4096)
                        #expect(first["first_url"] as? String == "https://shop.example.com/a")
                        #expect(first["started_at"] as? String == "2025-10-09T08:53:20.123Z")
                        #expect((first["replay_url"] as? String)?.hasPrefix("/replay/sess-a?campaign=") == true)
                    }
                } while cursor != nil && seen.count < 10
                #expect(seen == ["sess-a", "sess-b", "sess-c", "sess-d", "sess-e"])

                let from = Int(base.timeIntervalSince1970) + 5, to = "2025-10-09T08:53:50Z"
                let filtered = try await client.execute(uri: uri + "?from=\(from)&to=\(to)", method: .get, headers: auth)
                let ids = ((filtered.json as? [String: Any])?["sessions"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
                #expect(ids == ["sess-b", "sess-c"])
                #expect((filtered.json as? [String: Any])?["next_cursor"] is NSNull)
            }
        }
    }

    @Test("bad query parameters get 400 invalid_parameter")
    func badParameters() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let auth = try await harness.bearer()
            let uri = "/v1/campaigns/\(campaign.id.uuidString)/sessions"
            try await harness.application().test(.router) { client in
                for query in ["?limit=0", "?limit=abc", "?limit=100000", "?cursor=!!", "?from=yesterday", "?from=20&to=10"] {
                    let response = try await client.execute(uri: uri + query, method: .get, headers: auth)
                    #expect(response.status == .badRequest, "\(query)")
                    #expect(response.errorCode == "invalid_parameter", "\(query): \(response.text)")
                }
                let notUUID = try await client.execute(uri: "/v1/campaigns/nope/sessions", method: .get, headers: auth)
                #expect(notUUID.status == .badRequest)
                let badSession = try await client.execute(uri: "/v1/sessions/bad.id/events", method: .get, headers: auth)
                #expect(badSession.status == .badRequest)
                let unknown = try await client.execute(uri: "/v1/sessions/never-recorded/events", method: .get, headers: auth)
                #expect(unknown.status == .notFound)
                #expect(unknown.errorCode == "session_not_found")
            }
        }
    }

    /// Unix seconds past year 294,276 made the PostgreSQL client trap (the process died) and times
    /// before 4713 BC, in `from`/`to` or in a made-up cursor, made PostgreSQL fail the query (503).
    @Test("from, to and cursors outside the years 1 to 9999 get 400 invalid_parameter, on the JSON list and the page")
    func timesOutOfRange() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            let auth = try await harness.bearer()
            let id = campaign.id.uuidString.lowercased()
            @Sendable func cursor(_ micros: Int64) -> String { SessionCursor(startedAtMicros: micros, session: "s").encoded }
            try await harness.application().test(.router) { client in
                for query in ["from=-220000000000", "to=-62135596801", "from=253402300800", "cursor=\(cursor(.max))",
                              "cursor=\(cursor(-300_000_000_000_000_000))", "to=1e308", "from=9e15"] {
                    let response = try await client.execute(uri: "/v1/campaigns/\(id)/sessions?\(query)", method: .get, headers: auth)
                    #expect(response.status == .badRequest, "\(query): \(response.status) \(response.text)")
                    #expect(response.errorCode == "invalid_parameter", "\(query): \(response.text)")
                }
                for query in ["from=-62135596800", "to=253402300799", "to=9999-12-31T23:59:59Z"] {
                    let response = try await client.execute(uri: "/v1/campaigns/\(id)/sessions?\(query)", method: .get, headers: auth)
                    #expect(response.status == .ok, "\(query): \(response.status) \(response.text)")
                }
                let link = SignedLink.valid(for: .seconds(600), session: nil, campaignID: campaign.id)
                let page = try await client.execute(
                    uri: "/campaigns/\(id)/sessions/page?\(link.queryString(secret: PlaybackHarness.linkSecret))&from=1e308", method: .get)
                #expect(page.status == .badRequest, "\(page.status) \(page.text)")
                #expect(page.headers[HTTPField.Name("X-Replayd-Error")!] == "invalid_parameter")
            }
        }
    }

    @Test("the session list page links to replay pages with fresh signatures")
    func listPage() async throws {
        try await PlaybackHarness.run { harness in
            let campaign = try await harness.campaign()
            try await harness.insertSessionRow(campaign: campaign.id, session: "page-1", start: Date(timeIntervalSince1970: 1_760_000_000))
            try await harness.insertSessionRow(campaign: campaign.id, session: "page-2", start: Date(timeIntervalSince1970: 1_760_000_100))
            let link = SignedLink.valid(for: .seconds(600), session: nil, campaignID: campaign.id)
            let path = "/campaigns/\(campaign.id.uuidString.lowercased())/sessions/page?\(link.queryString(secret: PlaybackHarness.linkSecret))"
            try await harness.application().test(.router) { client in
                let response = try await client.execute(uri: path + "&limit=1", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let expected = SignedLink(session: "page-1", campaignID: campaign.id, expires: link.expires)
                let href = "/replay/page-1?\(expected.queryString(secret: PlaybackHarness.linkSecret))".replacingOccurrences(of: "&", with: "&amp;")
                #expect(response.text.contains(href))
                #expect(!response.text.contains("page-2"))
                #expect(response.text.contains("id=\"replayd-next\""))
                let unsigned = try await client.execute(uri: "/campaigns/\(campaign.id.uuidString)/sessions/page", method: .get)
                #expect(unsigned.status == .unauthorized)
            }
        }
    }

    @Test("the rrweb-player build is served from the configured directory")
    func assets() async throws {
        try await PlaybackHarness.run { harness in
            try await harness.application().test(.router) { client in
                let script = try await client.execute(uri: "/assets/rrweb/rrweb-player-0-7-14.js", method: .get)
                #expect(script.status == .ok)
                #expect(script.headers[.contentType] == "application/javascript; charset=utf-8")
                #expect(script.text.contains("rrwebPlayer"))
                let style = try await client.execute(uri: "/assets/rrweb/rrweb-player-0-7-14-style.css", method: .get)
                #expect(style.status == .ok)
                for name in ["..%2F..%2Fetc%2Fpasswd", ".hidden", "missing.js"] {
                    #expect(try await client.execute(uri: "/assets/rrweb/\(name)", method: .get).status == .notFound)
                }
            }
        }
    }
}
