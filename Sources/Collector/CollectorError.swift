import Core
import HTTPTypes

/// An answer the Collector gives instead of 202: HTTP status, stable code, a message that says what
/// to do, and for 429/503 how long to wait. The one place errors become HTTP responses is
/// ``CollectorResponses/error(_:origin:)``.
public struct CollectorError: UserFacingError, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Seconds for the `Retry-After` header.
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    static func malformed(_ message: String) -> Self { .init(.badRequest, "malformed_batch", message) }
    static func invalidField(_ field: String, _ problem: String) -> Self {
        .init(.badRequest, "invalid_field", "\(field) \(problem)")
    }
    static let unknownKey = Self(.unauthorized, "unknown_key",
                                 "no campaign has this public key; copy the key from `replayd campaign list`")
    static let originNotAllowed = Self(.forbidden, "origin_not_allowed",
                                       "this page's origin is not allowed for the campaign; add it with `replayd campaign update --origin`")
    static let campaignPaused = Self(.forbidden, "campaign_paused",
                                     "the campaign is paused; stop recording (resume it with `replayd campaign resume`)")
    static func tooLarge(limit: Int) -> Self {
        .init(.contentTooLarge, "payload_too_large",
              "the batch exceeds the \(limit)-byte limit (after decompression); send fewer events per batch")
    }
    static let lengthRequired = Self(.init(code: 411, reasonPhrase: "Length Required"), "length_required",
                                     "send a Content-Length header (or a chunked body) with the batch")
    static func unsupportedEncoding(_ encoding: String) -> Self {
        .init(.unsupportedMediaType, "unsupported_encoding",
              "Content-Encoding \(encoding) is not supported; send identity or gzip")
    }
    static func unsupportedType(_ type: String) -> Self {
        .init(.unsupportedMediaType, "unsupported_media_type",
              "Content-Type \(type) is not supported; send application/json or text/plain")
    }
    static func methodNotAllowed(_ allowed: String) -> Self {
        .init(.methodNotAllowed, "method_not_allowed", "use \(allowed) on this path")
    }
    static func rateLimited(retryAfter: Int) -> Self {
        .init(.tooManyRequests, "rate_limited",
              "the campaign's event rate limit is reached; retry after \(retryAfter) s", retryAfter: retryAfter)
    }
    static func sessionRefused(retryAfter: Int) -> Self {
        .init(.tooManyRequests, "session_refused",
              "the campaign's new-session limit is reached; stop recording this session", retryAfter: retryAfter)
    }
    static func unavailable(_ why: String, retryAfter: Int = 5) -> Self {
        .init(.serviceUnavailable, "unavailable", "\(why); retry after \(retryAfter) s", retryAfter: retryAfter)
    }
}
