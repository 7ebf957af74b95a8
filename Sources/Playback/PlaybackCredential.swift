import Foundation

/// Who a playback request acts for: an analyst token or a signed link.
public enum PlaybackCredential: Sendable, Equatable {
    case token(AnalystToken)
    case link(SignedLink)

    /// The only campaign this credential may read, or nil for every campaign (unscoped tokens).
    public var campaignLimit: UUID? {
        switch self {
        case .token(let token): token.campaignID
        case .link(let link): link.campaignID
        }
    }

    /// The only session it may read (session links), or nil.
    public var sessionLimit: String? {
        if case .link(let link) = self { return link.session }
        return nil
    }

    /// Refuses a campaign outside the credential's scope (403 `forbidden_campaign`).
    public func check(campaign: UUID) throws(PlaybackError) {
        if let limit = campaignLimit, limit != campaign {
            throw PlaybackError.forbiddenCampaign(campaign.uuidString.lowercased(), allowed: limit.uuidString.lowercased())
        }
    }

    /// Refuses a session other than the one a session link was made for (401, as for a wrong signature).
    public func check(session: String) throws(PlaybackError) {
        if let limit = sessionLimit, limit != session {
            throw PlaybackError.unauthorized("this link is for session \(limit), not \(session)")
        }
    }
}
