import HTTPSupport
import Foundation
import Hummingbird
import HummingbirdCore

extension PlaybackRoutes {
    /// The request's credential: a link signature (`sig`, `exp`, `campaign` query parameters) when
    /// `sig` is present, else the `Authorization: Bearer` token. For a session route, a link for that
    /// session or for its whole campaign is accepted.
    func authenticate(_ request: Request, session: String?) async throws(PlaybackError) -> PlaybackCredential {
        let query = request.uri.queryParameters
        if let signature = query["sig"].map(String.init) {
            guard let campaignText = query["campaign"].map(String.init), let campaign = UUID(uuidString: campaignText) else {
                throw PlaybackError.unauthorized("a signed link needs its campaign parameter")
            }
            guard let expires = query["exp"].flatMap({ Int64(String($0)) }) else {
                throw PlaybackError.unauthorized("a signed link needs its exp parameter (unix seconds)")
            }
            let secret = configuration.linkSecret
            let sessionLink = SignedLink(session: session, campaignID: campaign, expires: expires)
            do {
                try sessionLink.verify(signature: signature, secret: secret)
                return .link(sessionLink)
            } catch {
                guard session != nil, error.code == "unauthorized" else { throw error }
                let campaignLink = SignedLink(session: nil, campaignID: campaign, expires: expires)
                do {
                    try campaignLink.verify(signature: signature, secret: secret)
                    return .link(campaignLink)
                } catch let second where second.code == "link_expired" {
                    throw second
                } catch {
                    throw error
                }
            }
        }
        return .token(try await tokens.authenticate(request.headers[.authorization]))
    }

    /// Authenticates and finds the session `id`: in the `campaign` parameter's campaign, else in the
    /// credential's campaign, else in any campaign (400 `ambiguous_session` when several have it).
    func resolveSession(_ request: Request, id: String) async throws -> (PlaybackCredential, SessionSummary) {
        let (credential, campaign) = try await authorizeSession(request, id: id)
        return (credential, try await findSession(id, campaign: campaign))
    }

    /// Checks the session id and the credential; returns the campaign the request is limited to
    /// (by the credential or `?campaign=`), if any.
    func authorizeSession(_ request: Request, id: String) async throws -> (PlaybackCredential, UUID?) {
        guard Self.isValidSessionID(id) else {
            throw PlaybackError.invalidParameter("session id", "must be 1–64 characters of A–Z, a–z, 0–9, _ and -")
        }
        let credential = try await authenticate(request, session: id)
        try credential.check(session: id)
        var campaign = credential.campaignLimit
        if let text = request.uri.queryParameters["campaign"].map(String.init) {
            let requested = try Self.uuid(text, name: "campaign")
            try credential.check(campaign: requested)
            campaign = requested
        }
        return (credential, campaign)
    }

    /// The session `id` (within `campaign` when given); 404 when unknown, 400 when ambiguous.
    func findSession(_ id: String, campaign: UUID?) async throws -> SessionSummary {
        let found = try await database("looking up the session") {
            try await sessions.find(session: id, campaignID: campaign)
        }
        guard let session = found.first else { throw PlaybackError.sessionNotFound(id) }
        guard found.count == 1 else { throw PlaybackError.ambiguousSession(id, campaigns: found.map(\.campaignID)) }
        return session
    }

    static func isValidSessionID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// Expiry of links minted for a response: a link credential's own expiry (access never outlives
    /// it), else now + ``PlaybackConfiguration/linkLifetime``; nil when links cannot be signed.
    func linkExpiry(for credential: PlaybackCredential) -> Int64? {
        guard let secret = configuration.linkSecret, secret.utf8.count >= SignedLink.minimumSecretBytes else { return nil }
        if case .link(let link) = credential { return link.expires }
        return Int64(Date().timeIntervalSince1970) + max(1, configuration.linkLifetime.components.seconds)
    }

    /// `/replay/<session>?campaign=…&exp=…&sig=…`, or without a signature when links are disabled.
    func replayPath(session: String, campaign: UUID, expires: Int64?) -> String {
        let base = "/replay/\(session)"
        guard let expires, let secret = configuration.linkSecret else {
            return base + "?campaign=\(campaign.uuidString.lowercased())"
        }
        return base + "?" + SignedLink(session: session, campaignID: campaign, expires: expires).queryString(secret: secret)
    }
}

/// The sessions list's query parameters, validated.
struct SessionListQuery: Sendable {
    var from: Date?
    var to: Date?
    var limit: Int
    var cursor: SessionCursor?
    var filter = SessionFilter()
    var sort = SessionSort()

    init(_ parameters: FlatDictionary<Substring, Substring>, configuration: PlaybackConfiguration) throws(PlaybackError) {
        from = try Self.date(parameters["from"].map(String.init), name: "from")
        to = try Self.date(parameters["to"].map(String.init), name: "to")
        if let from, let to, from >= to { throw PlaybackError.invalidParameter("from", "must be earlier than to") }
        limit = configuration.defaultPageSize
        if let text = parameters["limit"].map(String.init) {
            guard let value = Int(text), (1...configuration.maximumPageSize).contains(value) else {
                throw PlaybackError.invalidParameter("limit", "must be an integer from 1 to \(configuration.maximumPageSize)")
            }
            limit = value
        }
        if let text = parameters["cursor"].map(String.init), !text.isEmpty {
            guard let cursor = SessionCursor(encoded: text) else {
                throw PlaybackError.invalidParameter("cursor", "is not a cursor this server returned (use next_cursor as is)")
            }
            self.cursor = cursor
        }
        func integer(_ name: String) throws(PlaybackError) -> Int? {
            guard let text = parameters[Substring(name)].map(String.init), !text.isEmpty else { return nil }
            guard let value = Int(text), value >= 0, value <= Int(Int32.max) else {
                throw PlaybackError.invalidParameter(name, "must be a whole number from 0 to \(Int32.max), not \(text.prefix(40))")
            }
            return value
        }
        func flag(_ name: String) throws(PlaybackError) -> Bool? {
            guard let text = parameters[Substring(name)].map(String.init), !text.isEmpty else { return nil }
            switch text {
            case "true", "1": return true
            case "false", "0": return false
            default: throw PlaybackError.invalidParameter(name, "must be true or false, not \(text.prefix(40))")
            }
        }
        func text(_ name: String, maxLength: Int) throws(PlaybackError) -> String? {
            guard let text = parameters[Substring(name)].map(String.init), !text.isEmpty else { return nil }
            guard text.utf8.count <= maxLength, !text.utf8.contains(0) else {
                throw PlaybackError.invalidParameter(name, "must be at most \(maxLength) bytes of text")
            }
            return text
        }
        filter.minDurationMs = try integer("min_duration_ms").map(Int64.init)
        filter.maxDurationMs = try integer("max_duration_ms").map(Int64.init)
        if let low = filter.minDurationMs, let high = filter.maxDurationMs, low > high {
            throw PlaybackError.invalidParameter("min_duration_ms", "must not exceed max_duration_ms")
        }
        filter.minActiveMs = try integer("min_active_ms").map(Int64.init)
        filter.urlContains = try text("url_contains", maxLength: 2048)
        filter.minClicks = try integer("min_clicks")
        filter.minRageClicks = try integer("min_rage_clicks")
        filter.hasConsoleErrors = try flag("has_console_errors")
        filter.setBrowser(try text("browser", maxLength: 64))
        filter.setDevice(try text("device", maxLength: 16))
        filter.playable = try flag("playable")
        filter.ended = try flag("ended")
        if let text = parameters["sort"].map(String.init), !text.isEmpty {
            guard let sort = SessionSort(parameter: text) else {
                let keys = SessionSort.Key.allCases.map(\.rawValue).joined(separator: ", ")
                throw PlaybackError.invalidParameter("sort", "must be one of \(keys), optionally with - for descending, not \(text.prefix(40))")
            }
            self.sort = sort
        }
    }

    /// RFC 3339 (`2025-01-31T12:00:00Z`, fractional seconds allowed) or unix seconds.
    static func date(_ text: String?, name: String) throws(PlaybackError) -> Date? {
        guard let text, !text.isEmpty else { return nil }
        let date: Date
        if let seconds = Double(text), seconds.isFinite {
            date = Date(timeIntervalSince1970: seconds)
        } else if let parsed = (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
                    ?? (try? Date(text, strategy: Date.ISO8601FormatStyle())) {
            date = parsed
        } else {
            throw PlaybackError.invalidParameter(name, "must be an RFC 3339 time like 2025-01-31T12:00:00Z or unix seconds, not \(text.prefix(60))")
        }
        guard SessionStore.queryableDates.contains(date) else {
            throw PlaybackError.invalidParameter(name, "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, not \(text.prefix(60))")
        }
        return date
    }
}

/// `GET /v1/campaigns/{id}/sessions` body.
struct SessionListBody: Encodable {
    var sessions: [SessionListItem]
    var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case sessions
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sessions, forKey: .sessions)
        try container.encode(nextCursor, forKey: .nextCursor)  // null on the last page
    }
}

struct SessionListItem: Encodable {
    var id: String
    var campaignID: String
    var startedAt: String
    var endedAt: String
    var durationMs: Int64
    var eventCount: Int64
    var bytes: Int64
    var segmentCount: Int
    var firstURL: String?
    var replayURL: String
    var activity: SessionActivityColumns

    init(_ session: SessionSummary, replayURL: String) {
        activity = session.activity
        id = session.id
        campaignID = session.campaignID.uuidString.lowercased()
        startedAt = HTMLText.timestamp(session.startedAt)
        endedAt = HTMLText.timestamp(session.endedAt)
        durationMs = session.durationMilliseconds
        eventCount = session.eventCount
        bytes = session.bytes
        segmentCount = session.segmentCount
        firstURL = session.firstURL
        self.replayURL = replayURL
    }

    enum CodingKeys: String, CodingKey {
        case id, bytes
        case campaignID = "campaign_id"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case durationMs = "duration_ms"
        case eventCount = "event_count"
        case segmentCount = "segment_count"
        case firstURL = "first_url"
        case replayURL = "replay_url"
        case activeMs = "active_ms"
        case clicks, keypresses, scrolls, urls, browser, os, device, playable, ended
        case rageClicks = "rage_clicks"
        case deadClicks = "dead_clicks"
        case consoleErrors = "console_errors"
        case consoleWarnings = "console_warnings"
        case unplayableReasons = "unplayable_reasons"
        case viewportWidth = "viewport_width"
        case viewportHeight = "viewport_height"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(campaignID, forKey: .campaignID)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(endedAt, forKey: .endedAt)
        try container.encode(durationMs, forKey: .durationMs)
        try container.encode(eventCount, forKey: .eventCount)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(segmentCount, forKey: .segmentCount)
        try container.encode(firstURL, forKey: .firstURL)
        try container.encode(replayURL, forKey: .replayURL)
        try container.encode(activity.activeMillis, forKey: .activeMs)
        try container.encode(activity.clicks, forKey: .clicks)
        try container.encode(activity.keypresses, forKey: .keypresses)
        try container.encode(activity.scrolls, forKey: .scrolls)
        try container.encode(activity.rageClicks, forKey: .rageClicks)
        try container.encode(activity.deadClicks, forKey: .deadClicks)
        try container.encode(activity.consoleErrors, forKey: .consoleErrors)
        try container.encode(activity.consoleWarnings, forKey: .consoleWarnings)
        try container.encode(activity.urls.isEmpty ? [firstURL].compactMap { $0 } : activity.urls, forKey: .urls)
        try container.encode(activity.browser, forKey: .browser)
        try container.encode(activity.os, forKey: .os)
        try container.encode(activity.device, forKey: .device)
        try container.encode(activity.viewportWidth, forKey: .viewportWidth)
        try container.encode(activity.viewportHeight, forKey: .viewportHeight)
        try container.encode(activity.playable, forKey: .playable)
        try container.encode(activity.unplayableReasons, forKey: .unplayableReasons)
        try container.encode(activity.ended, forKey: .ended)
    }
}

/// `GET /v1/sessions/{id}/segments` body.
struct SegmentURLBody: Encodable {
    var session: String
    var campaignID: String
    var expiresAt: String
    var format: String
    var segments: [SegmentURLItem]

    enum CodingKeys: String, CodingKey {
        case session, format, segments
        case campaignID = "campaign_id"
        case expiresAt = "expires_at"
    }
}

struct SegmentURLItem: Encodable {
    var key: String
    var firstSeq: Int64
    var lastSeq: Int64
    var eventCount: Int64
    var bytes: Int64
    var url: String

    enum CodingKeys: String, CodingKey {
        case key, bytes, url
        case firstSeq = "first_seq"
        case lastSeq = "last_seq"
        case eventCount = "event_count"
    }
}
