import Foundation

/// One header of a Kafka record as the wire formats see it: a name and its bytes. The Kafka wrapper
/// converts these to and from its own header type.
public typealias WireHeader = (name: String, value: [UInt8])

/// The headers of a batch record on the batches topic: the one definition of their names and
/// encoding, written by the Collector and read by the Processor, the dead-letter tools and the
/// benchmarks. Every value is UTF-8 text.
///
/// | header | value |
/// | --- | --- |
/// | `campaign` | the campaign id, a lower-case UUID |
/// | `session` | the session id (also the record key) |
/// | `seq` | the batch sequence number, decimal |
/// | `events` | how many events the batch holds, decimal |
/// | `received-at` | when the Collector accepted it, ms since 1970, decimal |
/// | `content-type` | `application/json` |
/// | `user-agent`, `origin` | as the browser sent them, at most 512 characters |
/// | `client-ip` | per the Collector's client-IP policy |
public struct BatchHeaders: Sendable, Equatable {
    public enum Name {
        public static let campaign = "campaign"
        public static let session = "session"
        public static let seq = "seq"
        public static let events = "events"
        public static let receivedAt = "received-at"
        public static let contentType = "content-type"
        public static let userAgent = "user-agent"
        public static let clientIP = "client-ip"
        public static let origin = "origin"
    }

    /// The content type every batch record carries.
    public static let jsonContentType = "application/json"
    /// Longest `user-agent` and `origin` written (longer values are cut).
    public static let maxTextLength = 512

    public var campaignID: UUID
    public var session: String
    public var seq: Int
    public var eventCount: Int
    public var receivedAt: Date
    public var userAgent: String?
    public var clientIP: String?
    public var origin: String?

    public init(
        campaignID: UUID, session: String, seq: Int, eventCount: Int, receivedAt: Date,
        userAgent: String? = nil, clientIP: String? = nil, origin: String? = nil
    ) {
        self.campaignID = campaignID
        self.session = session
        self.seq = seq
        self.eventCount = eventCount
        self.receivedAt = receivedAt
        self.userAgent = userAgent
        self.clientIP = clientIP
        self.origin = origin
    }

    /// The headers, in the order the Collector writes them.
    public func encoded() -> [WireHeader] {
        func text(_ name: String, _ value: String) -> WireHeader { (name, Array(value.utf8)) }
        var headers: [WireHeader] = [
            text(Name.campaign, campaignID.uuidString.lowercased()),
            text(Name.session, session),
            text(Name.seq, String(seq)),
            text(Name.events, String(eventCount)),
            text(Name.receivedAt, String(Self.millis(receivedAt))),
            text(Name.contentType, Self.jsonContentType),
        ]
        if let userAgent { headers.append(text(Name.userAgent, String(userAgent.prefix(Self.maxTextLength)))) }
        if let clientIP { headers.append(text(Name.clientIP, clientIP)) }
        if let origin { headers.append(text(Name.origin, String(origin.prefix(Self.maxTextLength)))) }
        return headers
    }

    /// What a consumer finds in a record's headers: each as written (nil when absent), so that a
    /// reader can tell a missing header from a malformed one. The first of a repeated name wins.
    public struct Decoded: Sendable, Equatable {
        public var campaign: String?
        public var session: String?
        public var seq: String?
        public var events: String?
        public var receivedAt: String?
        public var userAgent: String?
        public var clientIP: String?
        public var origin: String?

        public init(_ headers: some Sequence<WireHeader>) {
            for header in headers {
                let value = String(decoding: header.value, as: UTF8.self)
                switch header.name {
                case Name.campaign where campaign == nil: campaign = value
                case Name.session where session == nil: session = value
                case Name.seq where seq == nil: seq = value
                case Name.events where events == nil: events = value
                case Name.receivedAt where receivedAt == nil: receivedAt = value
                case Name.userAgent where userAgent == nil: userAgent = value
                case Name.clientIP where clientIP == nil: clientIP = value
                case Name.origin where origin == nil: origin = value
                default: continue
                }
            }
        }

        /// The campaign id, when the header holds a UUID.
        public var campaignID: UUID? { campaign.flatMap(UUID.init(uuidString:)) }
        /// The sequence number, when the header holds a decimal integer.
        public var seqNumber: Int? { seq.flatMap { Int($0) } }
        /// When the Collector accepted the batch, when the header holds a finite number of ms.
        public var receivedAtDate: Date? {
            guard let millis = receivedAt.flatMap(Double.init), millis.isFinite else { return nil }
            return Date(timeIntervalSince1970: millis / 1000)
        }
    }

    /// Reads the headers of a consumed record.
    public static func decode(_ headers: some Sequence<WireHeader>) -> Decoded { Decoded(headers) }

    static func millis(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }
}
