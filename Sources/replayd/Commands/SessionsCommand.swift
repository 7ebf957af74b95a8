import ReplaydKit
import ArgumentParser
import Core
import Database
import Foundation
import Logging
import Playback
import PostgresNIO

/// `replayd sessions list|link`: a campaign's recorded sessions, and signed playback links that
/// open in a plain browser tab (no token needed until they expire).
///
/// Links are signed with REPLAYD_LINK_SECRET (the same value the serving process has) and point at
/// REPLAYD_PUBLIC_URL (default `http://<REPLAYD_HTTP_HOST>:<REPLAYD_HTTP_PORT>`).
struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions", abstract: "List recorded sessions and make playback links.",
        subcommands: [List.self, Link.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a campaign's sessions by start time.")
        @Option(help: "Campaign id.") var campaign: String
        @Option(help: "Sessions that started at or after this time (RFC 3339 or unix seconds).") var from: String?
        @Option(help: "Sessions that started before this time.") var to: String?
        @Option(help: "At most this many sessions.") var limit: Int = 50
        @Option(help: "Continue after a previous page (its next cursor).") var cursor: String?
        @Flag(help: "Print JSON lines.") var json = false

        func validate() throws {
            guard UUID(uuidString: campaign) != nil else { throw ValidationError("--campaign \(campaign) is not a campaign id") }
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000") }
            if let cursor, SessionCursor(encoded: cursor) == nil { throw ValidationError("--cursor is not a cursor this command printed") }
            for (name, value) in [("--from", from), ("--to", to)] {
                if let value, SessionsCommand.date(value) == nil {
                    throw ValidationError("\(name) \(value) must be an RFC 3339 time like 2025-01-31T12:00:00Z or unix seconds, in the years 1 to 9999")
                }
            }
        }

        func run() async throws {
            let campaignID = UUID(uuidString: campaign)!
            let (from, to, limit) = (from.flatMap(SessionsCommand.date), to.flatMap(SessionsCommand.date), limit)
            let cursor = cursor.flatMap(SessionCursor.init(encoded:))
            let config = try ReplaydConfiguration.load()
            Observability.bootstrapLogging(logLevel: .warning)
            let logger = Logger(label: "replayd.sessions")
            let page = try await PostgresClient.withClient(config.postgres, logger: logger) { client in
                try await SessionStore(client: client, logger: logger)
                    .sessions(campaignID: campaignID, from: from, to: to, limit: limit, after: cursor)
            }
            let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
            for s in page.sessions {
                if json {
                    let object: [String: Any] = [
                        "id": s.id, "started_at": s.startedAt.formatted(format), "ended_at": s.endedAt.formatted(format),
                        "duration_ms": s.durationMilliseconds, "event_count": s.eventCount, "bytes": s.bytes,
                        "segment_count": s.segmentCount, "first_url": s.firstURL ?? NSNull(),
                        "active_ms": s.activity.activeMillis, "clicks": s.activity.clicks, "keypresses": s.activity.keypresses,
                        "rage_clicks": s.activity.rageClicks, "dead_clicks": s.activity.deadClicks,
                        "console_errors": s.activity.consoleErrors, "urls": s.activity.urls,
                        "browser": s.activity.browser ?? NSNull(), "os": s.activity.os ?? NSNull(), "device": s.activity.device ?? NSNull(),
                        "playable": s.activity.playable, "unplayable_reasons": s.activity.unplayableReasons, "ended": s.activity.ended,
                    ]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    let a = s.activity
                    print("\(s.id)  \(s.startedAt.formatted(format))  \(s.durationMilliseconds / 1000)s  active=\(a.activeMillis / 1000)s  clicks=\(a.clicks)  rage=\(a.rageClicks)  errors=\(a.consoleErrors)  events=\(s.eventCount)  bytes=\(s.bytes)  \(a.playable ? "playable" : "unplayable")\(a.ended ? " ended" : "")  \(s.firstURL ?? "")")
                }
            }
            if page.sessions.isEmpty && !json { print("no sessions in this range") }
            if let next = page.next {
                if json { print("{\"next_cursor\":\"\(next.encoded)\"}") } else { print("more: --cursor \(next.encoded)") }
            }
        }
    }

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a signed playback URL (a session's replay page, or the campaign's session list without --session).")
        @Option(help: "Campaign id.") var campaign: String
        @Option(help: "Session id; omit for a link to the campaign's session list.") var session: String?
        @Option(help: "Seconds the link stays valid.") var expires: Int = 3600
        @Option(help: "Server URL the link points at (default REPLAYD_PUBLIC_URL, else http://REPLAYD_HTTP_HOST:REPLAYD_HTTP_PORT).")
        var baseURL: String?

        func validate() throws {
            guard UUID(uuidString: campaign) != nil else { throw ValidationError("--campaign \(campaign) is not a campaign id") }
            guard (1...(366 * 86400)).contains(expires) else { throw ValidationError("--expires must be from 1 second to 366 days") }
            if let session, session.isEmpty || session.count > 64 || session.contains(where: { !($0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII || $0 == "_" || $0 == "-") }) {
                throw ValidationError("--session \(session) is not a session id (1–64 of A–Z a–z 0–9 _ -)")
            }
        }

        func run() async throws {
            let config = try ReplaydConfiguration.load()
            guard let secret = config.playback.linkSecret else {
                throw ReplaydError(
                    code: "missing_link_secret",
                    message: "REPLAYD_LINK_SECRET is not set (or shorter than \(SignedLink.minimumSecretBytes) bytes): set it to the same secret the server uses, e.g. `openssl rand -hex 32`")
            }
            var base = baseURL ?? config.publicURL
                ?? "http://\(["0.0.0.0", "::", ""].contains(config.http.host) ? "127.0.0.1" : config.http.host):\(config.http.port)"
            while base.hasSuffix("/") { base.removeLast() }
            let campaignID = UUID(uuidString: campaign)!
            let link = SignedLink.valid(for: .seconds(expires), session: session, campaignID: campaignID)
            if let session {
                print("\(base)/replay/\(session)?\(link.queryString(secret: secret))")
            } else {
                print("\(base)/campaigns/\(campaignID.uuidString.lowercased())/sessions/page?\(link.queryString(secret: secret))")
            }
        }
    }

    /// RFC 3339 or unix seconds, within ``SessionStore/queryableDates``.
    static func date(_ text: String) -> Date? {
        let date = Double(text).flatMap { $0.isFinite ? Date(timeIntervalSince1970: $0) : nil }
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
        return date.flatMap { SessionStore.queryableDates.contains($0) ? $0 : nil }
    }
}
