import Foundation
import Hummingbird
import HummingbirdCore

extension PlaybackRoutes {
    /// What a query parameter's value keeps unescaped.
    static var queryValueCharacters: CharacterSet {
        var characters = CharacterSet.urlQueryAllowed
        characters.remove(charactersIn: "&=+#")
        return characters
    }

    /// URLs of the player script and stylesheet.
    var playerAssetURLs: (script: String, style: String) {
        var base = configuration.rrwebAssetBaseURL ?? "/assets/rrweb"
        while base.hasSuffix("/") { base.removeLast() }
        return (base + "/" + configuration.playerScript, base + "/" + configuration.playerStyle)
    }

    func replayPage(_ request: Request, session id: String) async throws -> Response {
        let (credential, session) = try await resolveSession(request, id: id)
        let campaign = session.campaignID
        // The page's own fetch carries a link: the one it was opened with, or a fresh one.
        var eventsQuery = "campaign=\(campaign.uuidString.lowercased())"
        var listLink: String?
        if let expires = linkExpiry(for: credential), let secret = configuration.linkSecret {
            let link: SignedLink
            if case .link(let given) = credential { link = given } else {
                link = SignedLink(session: session.id, campaignID: campaign, expires: expires)
            }
            eventsQuery = link.queryString(secret: secret)
            if credential.sessionLimit == nil {
                let listing = SignedLink(session: nil, campaignID: campaign, expires: expires)
                listLink = "/campaigns/\(campaign.uuidString.lowercased())/sessions/page?" + listing.queryString(secret: secret)
            }
        }
        // The first segment, when it plays as it decompresses: the player's request names it, so
        // that its download starts beside the index lookup (``FirstSegmentHint``).
        let segments = try await database("reading the session's segments") {
            try await sessions.segments(campaignID: campaign, session: session.id)
        }
        if let first = SegmentGroups.liveFirstSegment(of: segments),
           let key = first.objectKey.addingPercentEncoding(withAllowedCharacters: Self.queryValueCharacters) {
            eventsQuery += "&\(FirstSegmentHint.parameter)=\(key)"
        }
        let assets = playerAssetURLs
        let nonce = PageSecurity.nonce()
        let config = """
            {"eventsURL":\(HTMLText.scriptString("/v1/sessions/\(session.id)/events?" + eventsQuery)),\
            "session":\(HTMLText.scriptString(session.id)),"gapTag":\(HTMLText.scriptString(SessionEventStream.gapTag))}
            """
        let client = [session.activity.browser, session.activity.os, session.activity.device].compactMap { $0 }.joined(separator: " · ")
        let page = template.render([
            "TITLE": HTMLText.escape("Replay \(session.id)"),
            "SESSION": HTMLText.escape(session.id),
            "CAMPAIGN": HTMLText.escape(campaign.uuidString.lowercased()),
            "STARTED": HTMLText.escape(HTMLText.timestamp(session.startedAt)),
            "DURATION": HTMLText.escape(HTMLText.duration(milliseconds: session.durationMilliseconds)),
            "EVENTS": String(session.eventCount),
            "FIRST_URL": HTMLText.escape(session.firstURL ?? "unknown"),
            "ACTIVE": HTMLText.escape(HTMLText.duration(milliseconds: session.activity.activeMillis)),
            "CLICKS": String(session.activity.clicks),
            "RAGE_CLICKS": String(session.activity.rageClicks),
            "DEAD_CLICKS": String(session.activity.deadClicks),
            "CONSOLE_ERRORS": String(session.activity.consoleErrors),
            "CLIENT": HTMLText.escape(client.isEmpty ? "unknown" : client),
            "PAGES": String(max(session.activity.urls.count, session.firstURL == nil ? 0 : 1)),
            "UNPLAYABLE": session.activity.unplayableReasons.isEmpty ? "" :
                "<div id=\"replayd-unplayable\">This session may not play correctly: "
                + session.activity.unplayableReasons.map(HTMLText.escape).joined(separator: "; ") + "</div>",
            "BACK_LINK": listLink.map { "<a id=\"replayd-back\" href=\"\(HTMLText.escape($0))\">All sessions</a>" } ?? "",
            "PLAYER_JS": HTMLText.escape(assets.script),
            "PLAYER_CSS": HTMLText.escape(assets.style),
            "CONFIG_JSON": config,
            "NONCE": nonce,
        ])
        return PlaybackResponses.html(page, policy: PageSecurity.replayPolicy(
            nonce: nonce, assetOrigin: PageSecurity.origin(of: configuration.rrwebAssetBaseURL),
            frameAncestors: configuration.frameAncestors))
    }

    func sessionListPage(_ request: Request, campaign campaignText: String) async throws -> Response {
        let campaign = try Self.uuid(campaignText, name: "campaign id")
        let credential = try await authenticate(request, session: nil)
        try credential.check(campaign: campaign)
        let query = try SessionListQuery(request.uri.queryParameters, configuration: configuration)
        let page = try await loadPage(campaign: campaign, query: query)
        let expires = linkExpiry(for: credential)
        var rows = ""
        for session in page.sessions {
            let replay = replayPath(session: session.id, campaign: campaign, expires: expires)
            let a = session.activity
            let reasons = a.unplayableReasons
            let playable = reasons.isEmpty ? "yes" : "<span class=\"unplayable\">no: \(reasons.map(HTMLText.escape).joined(separator: "; "))</span>"
            let client = [a.browser, a.os, a.device].compactMap { $0 }.joined(separator: " · ")
            rows += """
                <tr><td><a class="replay" href="\(HTMLText.escape(replay))">\(HTMLText.escape(session.id))</a></td>\
                <td>\(HTMLText.escape(HTMLText.timestamp(session.startedAt)))</td>\
                <td>\(HTMLText.duration(milliseconds: session.durationMilliseconds))</td>\
                <td>\(HTMLText.duration(milliseconds: a.activeMillis))</td>\
                <td>\(a.clicks)</td><td>\(a.rageClicks)</td><td>\(a.consoleErrors)</td>\
                <td>\(HTMLText.escape(client))</td><td class="playable">\(playable)\(a.ended ? "" : " (live)")</td>\
                <td>\(session.eventCount)</td><td>\(HTMLText.bytes(session.bytes))</td>\
                <td class="url">\(HTMLText.escape((a.urls.first ?? session.firstURL) ?? ""))</td></tr>\n
                """
        }
        if page.sessions.isEmpty {
            rows = "<tr><td colspan=\"12\">No sessions match.</td></tr>"
        }
        let form = Self.filterForm(request.uri.queryParameters, campaign: campaign)
        var next = ""
        if let cursor = page.next {
            var items = request.uri.queryParameters.filter { $0.key != "cursor" }.map {
                "\(HTMLText.query(String($0.key)))=\(HTMLText.query(String($0.value)))"
            }
            items.append("cursor=\(HTMLText.query(cursor.encoded))")
            let href = "/campaigns/\(campaign.uuidString.lowercased())/sessions/page?" + items.joined(separator: "&")
            next = "<p><a id=\"replayd-next\" href=\"\(HTMLText.escape(href))\">Next page</a></p>"
        }
        let html = """
            <!doctype html><html><head><meta charset="utf-8"><title>Sessions of campaign \(campaign.uuidString.lowercased())</title>
            <style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}\
            td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}td.url{color:#555;max-width:40em;\
            overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.unplayable{color:#a00}form{margin:1em 0}\
            form label{margin-right:1em}</style></head><body>
            <h1>Sessions</h1><p>Campaign <code>\(campaign.uuidString.lowercased())</code>.</p>
            \(form)
            <table id="replayd-sessions"><thead><tr><th>Session</th><th>Started (UTC)</th><th>Duration</th><th>Active</th>\
            <th>Clicks</th><th>Rage</th><th>Errors</th><th>Browser</th><th>Playable</th><th>Events</th>\
            <th>Stored</th><th>First page</th></tr></thead><tbody>
            \(rows)</tbody></table>
            \(next)
            </body></html>
            """
        return PlaybackResponses.html(html, policy: PageSecurity.staticPolicy(frameAncestors: configuration.frameAncestors, forms: true))
    }

    /// The filters of `GET /v1/campaigns/{id}/sessions` as a form that reloads this page (a signed
    /// link's `campaign`, `exp` and `sig` ride along as hidden fields).
    static func filterForm(_ parameters: FlatDictionary<Substring, Substring>, campaign: UUID) -> String {
        func value(_ name: String) -> String { parameters[Substring(name)].map { HTMLText.escape(String($0)) } ?? "" }
        func number(_ name: String, _ label: String) -> String {
            "<label>\(label) <input name=\"\(name)\" type=\"number\" min=\"0\" size=\"6\" value=\"\(value(name))\"></label>"
        }
        func choice(_ name: String, _ label: String, _ options: [String]) -> String {
            let current = parameters[Substring(name)].map(String.init) ?? ""
            let items = ([""] + options).map { option in
                "<option value=\"\(HTMLText.escape(option))\"\(option == current ? " selected" : "")>\(option.isEmpty ? "any" : HTMLText.escape(option))</option>"
            }.joined()
            return "<label>\(label) <select name=\"\(name)\">\(items)</select></label>"
        }
        let hidden = ["campaign", "exp", "sig"].compactMap { name in
            parameters[Substring(name)].map { "<input type=\"hidden\" name=\"\(name)\" value=\"\(HTMLText.escape(String($0)))\">" }
        }.joined()
        return """
            <form id="replayd-filters" method="get" action="/campaigns/\(campaign.uuidString.lowercased())/sessions/page">\(hidden)
            <label>URL contains <input name="url_contains" size="24" value="\(value("url_contains"))"></label>\
            \(number("min_duration_ms", "Min duration ms"))\(number("min_active_ms", "Min active ms"))\
            \(number("min_clicks", "Min clicks"))\(number("min_rage_clicks", "Min rage clicks"))
            \(choice("has_console_errors", "Console errors", ["true", "false"]))\
            \(choice("browser", "Browser", ["Chrome", "Safari", "Firefox", "Edge", "Opera", "Samsung Internet"]))\
            \(choice("device", "Device", ["desktop", "mobile", "tablet", "bot"]))\
            \(choice("playable", "Playable", ["true", "false"]))\(choice("ended", "Ended", ["true", "false"]))\
            \(choice("sort", "Sort", ["started_at", "-started_at", "-duration", "duration", "-activity", "activity"]))
            <button type="submit">Filter</button></form>
            """
    }
}
