import HTTPSupport
import Core
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The tracker's HTTP routes:
/// - `POST /v1/install` (+ CORS preflight): the snippet's install ping `{"key","url","version"}`;
///   the site is the URL's host, which must be an allowed origin of the campaign and agree with the
///   request's `Origin`. 204 when recorded; errors as for `/v1/batch` (`{"error":{"code","message"}}`).
///   Pings of paused campaigns are recorded too (the snippet is still installed).
/// - `GET /v1/campaigns/{id}/installs?from=yyyy-mm-dd&to=yyyy-mm-dd&silent_days=N`: ``InstallStatus``
///   as JSON for an analyst whose token covers the campaign (`authorize` decides and throws the
///   refusal: 401, 403 `forbidden_campaign`, 503). `to` defaults to
///   today (UTC), `from` to 29 days before `to`, `silent_days` to 7.
public struct TrackerRoutes<Context: RemoteAddressRequestContext>: Sendable {
    /// Returns when the `Authorization` header may read the campaign's install status; throws the
    /// refusal to answer (401/403/503) otherwise.
    public typealias Authorize = @Sendable (_ authorizationHeader: String?, _ campaignID: UUID) async throws(APIError) -> Void

    /// Largest accepted ping body.
    static var maxPingBytes: Int { 8 << 10 }

    let tracker: InstallTracker
    let campaigns: CampaignCache
    let authorize: Authorize

    public init(tracker: InstallTracker, campaigns: CampaignCache, authorize: @escaping Authorize) {
        self.tracker = tracker
        self.campaigns = campaigns
        self.authorize = authorize
    }

    public func register(on router: Router<Context>) {
        router.browserPost("/v1/install", handler: { request, context in await install(request, context: context) },
                           preflight: { request in await preflight(request) })
        router.get("/v1/campaigns/:campaign/installs") { request, context in
            await status(request, context: context)
        }
    }

    func install(_ request: Request, context: Context) async -> Response {
        var cors: HTTPFields = [:]
        do {
            try await record(request, context: context, cors: &cors)
            return TrackerResponses.recorded(cors: cors)
        } catch {
            if error.status == .serviceUnavailable {
                context.logger.warning("install ping refused", metadata: ["code": "\(error.code)", "reason": "\(error.message)"])
            }
            return TrackerResponses.error(error, cors: cors)
        }
    }

    private func record(_ request: Request, context: Context, cors: inout HTTPFields) async throws(TrackerError) {
        if let encoding = request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces),
           encoding != "identity" {
            throw .unsupportedEncoding(encoding)
        }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard ["application/json", "text/plain", ""].contains(mediaType) else { throw .unsupportedType(contentType) }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > Self.maxPingBytes {
            throw .tooLarge(limit: Self.maxPingBytes)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxPingBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw .tooLarge(limit: Self.maxPingBytes)
        } catch {
            throw .malformed("the body could not be read: \(error)")
        }
        let ping = try InstallPing.validate(Data(body.readableBytesView))
        let campaign: Campaign
        do {
            guard let found = try await campaigns.campaign(forKey: ping.key) else { throw TrackerError.unknownKey }
            campaign = found
        } catch let error as TrackerError {
            throw error
        } catch {
            throw .unavailable("campaigns cannot be read right now")
        }
        let origin = request.headers[.origin]
        guard OriginPolicy.allows(ping.origin, allowed: campaign.allowedOrigins),
              origin.map({ OriginPolicy.allows($0, allowed: campaign.allowedOrigins) }) ?? true
        else { throw .originNotAllowed }
        cors = TrackerResponses.cors(origin: origin)
        if let origin, origin.lowercased() != ping.origin { throw .originMismatch }
        do {
            try await tracker.recordPing(campaign: campaign, host: ping.host, version: ping.version)
        } catch let error as TrackerError {
            throw error
        } catch {
            context.logger.error("install ping could not be recorded", metadata: ["error": "\(error)"])
            throw .unavailable("the install could not be recorded")
        }
    }

    func preflight(_ request: Request) async -> Response {
        guard let origin = request.headers[.origin] else {
            return TrackerResponses.error(.notAPreflight)
        }
        guard let key = request.uri.queryParameters["key"].map(String.init),
              let campaign = try? await campaigns.campaign(forKey: key),
              OriginPolicy.allows(origin, allowed: campaign.allowedOrigins)
        else {
            return TrackerResponses.error(.originNotAllowed)
        }
        return TrackerResponses.preflight(origin: origin)
    }

    func status(_ request: Request, context: Context) async -> Response {
        do {
            guard let idText = context.parameters.get("campaign"), let id = UUID(uuidString: idText) else {
                throw TrackerError.invalidField("id", "must be a campaign id (see `replayd campaign list`)")
            }
            try await authorize(request.headers[.authorization], id)
            let query = request.uri.queryParameters
            let today = tracker.today
            let to = try Self.day(query["to"].map(String.init), name: "to") ?? today
            let from = try Self.day(query["from"].map(String.init), name: "from") ?? to.adding(days: -29)
            var silentDays = 7
            if let text = query["silent_days"].map(String.init) {
                guard let value = Int(text), value >= 0 else {
                    throw TrackerError.invalidField("silent_days", "must be a whole number of days ≥ 0")
                }
                silentDays = value
            }
            let status = try await tracker.status(campaignID: id, from: from, to: to, silentDays: silentDays)
            return try TrackerResponses.status(status)
        } catch let error as TrackerError {
            return TrackerResponses.error(error, allow: "GET")
        } catch {
            context.logger.error("install status failed", metadata: ["error": "\(error)"])
            return TrackerResponses.error(.unavailable("install status cannot be read right now"), allow: "GET")
        }
    }

    static func day(_ text: String?, name: String) throws(TrackerError) -> UTCDay? {
        guard let text else { return nil }
        guard let day = UTCDay(iso: text) else { throw .invalidField(name, "must be a date like 2025-01-31 (UTC)") }
        return day
    }
}
