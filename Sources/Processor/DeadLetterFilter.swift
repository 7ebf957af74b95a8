import Foundation

/// Which dead letters an operator means: every given criterion must match.
public struct DeadLetterFilter: Sendable, Equatable {
    /// A ``DeadLetterReason`` raw value (`invalid_batch`, `retries_exhausted`, …).
    public var reason: String?
    public var session: String?
    /// The original record's `campaign` header.
    public var campaign: String?
    /// Dead-lettered at or after this time (the `dlq-last-failure` header).
    public var since: Date?

    public init(reason: String? = nil, session: String? = nil, campaign: String? = nil, since: Date? = nil) {
        self.reason = reason
        self.session = session
        self.campaign = campaign
        self.since = since
    }

    public func matches(_ record: DeadLetterRecord) -> Bool {
        if let reason, record.reason.rawValue != reason { return false }
        if let session, record.session != session { return false }
        if let campaign, record.campaign?.lowercased() != campaign.lowercased() { return false }
        if let since, record.lastFailure < since { return false }
        return true
    }
}
