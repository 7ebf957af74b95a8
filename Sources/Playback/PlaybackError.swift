import Core
import Foundation
import HTTPSupport
import HTTPTypes

/// A refusal or failure of a playback request: the HTTP status, a stable `code` and a message that
/// says what to do. Rendered as `{"error":{"code":…,"message":…}}` (JSON routes) or as a small HTML
/// page (the replay and session-list pages).
///
/// Codes: `unauthorized` (401: no, unknown or revoked token, or a bad link signature),
/// `token_expired` and `link_expired` (401), `public_key_not_allowed` (401: a campaign's `pk_` key
/// was sent), `forbidden_campaign` (403: the credential is limited to another campaign),
/// `session_not_found` / `campaign_not_found` (404), `ambiguous_session` / `invalid_parameter` (400),
/// `presign_disabled` (404), `unavailable` (503 with `Retry-After`: Postgres or S3 failed; retry).
/// The one HTTP error model (`APIError`, as the Collector's and the Tracker's); these are its
/// playback answers.
public typealias PlaybackError = APIError

extension APIError {
    static let bearerHint = "send an analyst token as `Authorization: Bearer rat_…` (create one with `replayd token create --name …`) or open a signed link from `replayd sessions link`"

    static func unauthorized(_ reason: String) -> Self {
        Self(.unauthorized, "unauthorized", "\(reason); \(bearerHint)")
    }

    static let missingCredentials = unauthorized("this endpoint needs an analyst token")

    static let publicKeyNotAllowed = Self(
        .unauthorized, "public_key_not_allowed",
        "a campaign's public key (pk_…) only sends recordings and never reads them; use an analyst token (`replayd token create --name …`)")

    static func tokenExpired(_ name: String) -> Self {
        Self(.unauthorized, "token_expired", "analyst token \"\(name)\" has expired; create a new one with `replayd token create --name …`")
    }

    static let linkExpired = Self(
        .unauthorized, "link_expired",
        "this playback link has expired; ask for a new one (`replayd sessions link --campaign … --session …`)")

    static func forbiddenCampaign(_ requested: String, allowed: String) -> Self {
        Self(.forbidden, "forbidden_campaign",
             "this credential only grants access to campaign \(allowed), not \(requested); use a token or link for campaign \(requested)")
    }

    static func sessionNotFound(_ session: String) -> Self {
        Self(.notFound, "session_not_found",
             "no recorded session \(session) is visible to this credential (sessions appear once their first segment is uploaded)")
    }

    static func ambiguousSession(_ session: String, campaigns: [UUID]) -> Self {
        let list = campaigns.map { $0.uuidString.lowercased() }.joined(separator: ", ")
        return Self(.badRequest, "ambiguous_session", "session \(session) exists in several campaigns (\(list)); add ?campaign=<id>")
    }

    static func campaignNotFound(_ id: String) -> Self {
        Self(.notFound, "campaign_not_found", "no campaign has id \(id) (see `replayd campaign list`)")
    }

    static func invalidParameter(_ name: String, _ problem: String) -> Self {
        Self(.badRequest, "invalid_parameter", "\(name) \(problem)")
    }

}
