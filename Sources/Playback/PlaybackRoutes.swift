import HTTPSupport
import Core
import Database
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import S3

/// The read side of replayd, for analysts:
///
/// - `GET /v1/campaigns/{id}/sessions?from=&to=&limit=&cursor=`: sessions by start time (JSON, paginated)
/// - `GET /v1/sessions/{id}/events[?campaign=][&gap_event=false][&first_segment=]`: the session's rrweb events, one JSON array
///   (`first_segment`, the first segment's key as the replay page gives it, only lets its download start sooner)
/// - `GET /v1/sessions/{id}/segments[?campaign=]`: presigned S3 URLs of the session's segment files
/// - `GET /replay/{id}?campaign=&exp=&sig=`: a page that plays the session with rrweb-player
/// - `GET /campaigns/{id}/sessions/page?campaign=&exp=&sig=`: a page listing a campaign's sessions
/// - `GET /assets/rrweb/{file}`: the rrweb-player build (when a directory is configured)
///
/// Every route but the assets needs an analyst token (`Authorization: Bearer rat_…`) or a signed
/// link (``SignedLink``). A credential limited to one campaign gets 403 `forbidden_campaign` for
/// another campaign named in the request, and 404 `session_not_found` for a session id that only
/// exists elsewhere (ids are looked up within its campaign). Campaign public keys are refused.
public struct PlaybackRoutes<Context: RequestContext>: Sendable {
    let configuration: PlaybackConfiguration
    let tokens: AnalystTokenStore
    let sessions: SessionStore
    let s3: S3Client
    let logger: Logger
    let assets: RRWebAssets
    let template: ReplayPageTemplate
    let admission: StreamAdmission

    public init(configuration: PlaybackConfiguration, tokens: AnalystTokenStore, sessions: SessionStore, s3: S3Client,
                logger: Logger) {
        self.configuration = configuration
        self.tokens = tokens
        self.sessions = sessions
        self.s3 = s3
        self.logger = logger
        self.assets = RRWebAssets(directory: configuration.rrwebAssetsDirectory)
        self.template = ReplayPageTemplate()
        self.admission = StreamAdmission(maxStreams: configuration.maxConcurrentStreams, maxBytes: configuration.maxTemporaryBytes)
    }

    public func register(on router: Router<Context>) {
        router.get("/v1/campaigns/:campaign/sessions") { request, context in
            await json { try await listSessions(request, campaign: context.parameters.get("campaign") ?? "") }
        }
        router.get("/v1/sessions/:session/events") { request, context in
            await json { try await events(request, session: context.parameters.get("session") ?? "") }
        }
        router.get("/v1/sessions/:session/segments") { request, context in
            await json { try await segmentURLs(request, session: context.parameters.get("session") ?? "") }
        }
        router.get("/replay/:session") { request, context in
            await page { try await replayPage(request, session: context.parameters.get("session") ?? "") }
        }
        router.get("/campaigns/:campaign/sessions/page") { request, context in
            await page { try await sessionListPage(request, campaign: context.parameters.get("campaign") ?? "") }
        }
        router.get("/assets/rrweb/:file") { _, context in
            await assets.response(for: context.parameters.get("file") ?? "")
        }
    }

    // MARK: JSON API

    func listSessions(_ request: Request, campaign campaignText: String) async throws -> Response {
        let campaign = try Self.uuid(campaignText, name: "campaign id")
        let credential = try await authenticate(request, session: nil)
        try credential.check(campaign: campaign)
        let query = try SessionListQuery(request.uri.queryParameters, configuration: configuration)
        let page = try await loadPage(campaign: campaign, query: query)
        let expires = linkExpiry(for: credential)
        let items = page.sessions.map { session in
            SessionListItem(session, replayURL: replayPath(session: session.id, campaign: campaign, expires: expires))
        }
        return PlaybackResponses.json(SessionListBody(sessions: items, nextCursor: page.next?.encoded))
    }

    func events(_ request: Request, session id: String) async throws -> Response {
        let (_, campaign) = try await authorizeSession(request, id: id)
        // The replay page names the first segment: its download starts beside the index lookup.
        let hint = FirstSegmentHint(request.uri.queryParameters[Substring(FirstSegmentHint.parameter)], session: id, campaign: campaign, s3: s3)
        defer { hint?.discard() }
        // The session and its segments in one query: it is on the way to the first byte.
        let found = try await database("reading the session's segments") {
            try await sessions.playbackSegments(session: id, campaignID: campaign)
        }
        guard let session = found.first else { throw PlaybackError.sessionNotFound(id) }
        guard found.count == 1 else { throw PlaybackError.ambiguousSession(id, campaigns: found.map(\.campaignID)) }
        let segments = session.segments
        let gapEvent = request.uri.queryParameters["gap_event"].map { $0 != "false" && $0 != "0" } ?? true
        let admitted = try admission.admit(compressedBytes: SessionEventStream.peakCompressedBytes(segments))
        var streamLogger = logger
        streamLogger[metadataKey: "session"] = "\(session.session)"
        let firstRunBody = await hint?.take(firstRun: SegmentGroups(segments).runs.first, of: segments)
        let stream = try await SessionEventStream.open(
            segments: segments, s3: s3, configuration: configuration,
            endTimestamp: Int64((session.endedAt.timeIntervalSince1970 * 1000).rounded()), gapEvent: gapEvent,
            firstRunBody: firstRunBody, logger: streamLogger)
        let headers: HTTPFields = [
            .contentType: "application/json", .cacheControl: "private, no-store", PageSecurity.contentTypeOptions: "nosniff",
            PlaybackResponses.trailerHeader: SessionEventStream.trailerNames.map(\.rawName).joined(separator: ", "),
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await stream.write(to: &writer)
            withExtendedLifetime(admitted) {}  // the budget is held until the stream is written (or dropped)
        })
    }

    func segmentURLs(_ request: Request, session id: String) async throws -> Response {
        guard let lifetime = configuration.presignedURLLifetime else {
            throw PlaybackError(.notFound, "presign_disabled",
                                "direct segment downloads are turned off on this server (REPLAYD_PRESIGN_SECONDS=0); use /v1/sessions/\(id)/events")
        }
        let (_, session) = try await resolveSession(request, id: id)
        let segments = try await database("reading the session's segments") {
            try await sessions.segments(campaignID: session.campaignID, session: session.id)
        }
        let expires = Date().addingTimeInterval(TimeInterval(lifetime.components.seconds))
        let items = segments.map { segment in
            SegmentURLItem(key: segment.objectKey, firstSeq: segment.firstSeq, lastSeq: segment.lastSeq,
                           eventCount: segment.eventCount, bytes: segment.bytes,
                           url: s3.presignedGetURL(key: segment.objectKey, expires: lifetime))
        }
        return PlaybackResponses.json(SegmentURLBody(
            session: session.id, campaignID: session.campaignID.uuidString.lowercased(),
            expiresAt: HTMLText.timestamp(expires), format: SegmentLine.formatDescription,
            segments: items))
    }

    // MARK: shared steps

    func loadPage(campaign: UUID, query: SessionListQuery) async throws -> (sessions: [SessionSummary], next: SessionCursor?) {
        try await database("listing sessions") {
            try await sessions.sessions(campaignID: campaign, from: query.from, to: query.to, filter: query.filter,
                                        sort: query.sort, limit: query.limit, after: query.cursor)
        }
    }

    /// Runs a database step, turning its failure into 503 `unavailable`.
    func database<T: Sendable>(_ action: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PlaybackError {
            throw error
        } catch {
            logger.error("playback query failed", metadata: ["action": "\(action)", "error": "\(error)"])
            throw PlaybackError.unavailable("the session index cannot be read right now (\(action))")
        }
    }

    func json(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            return PlaybackResponses.error(playbackError(error))
        }
    }

    func page(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            return PlaybackResponses.errorPage(playbackError(error), frameAncestors: configuration.frameAncestors)
        }
    }

    func playbackError(_ error: any Error) -> PlaybackError {
        if let error = error as? PlaybackError { return error }
        logger.error("playback request failed", metadata: ["error": "\(error)"])
        return PlaybackError.unavailable("the request failed (\((error as? any UserFacingError)?.code ?? "internal_error"))")
    }

    static func uuid(_ text: String, name: String) throws(PlaybackError) -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw PlaybackError.invalidParameter(name, "must be a UUID like 6f1c2a5e-…, not \(text.prefix(80))")
        }
        return id
    }
}
