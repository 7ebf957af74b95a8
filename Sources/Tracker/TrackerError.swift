import Core
import HTTPTypes

/// An answer of the tracker's HTTP routes other than success: status, stable code, a message that
/// says what to do, and for 503 how long to wait. Codes match the Collector's `/v1/batch` errors.
public struct TrackerError: UserFacingError, Equatable {
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

    static func malformed(_ message: String) -> Self { .init(.badRequest, "malformed_ping", message) }
    static func invalidField(_ field: String, _ problem: String) -> Self {
        .init(.badRequest, "invalid_field", "\(field) \(problem)")
    }
    static let unknownKey = Self(.unauthorized, "unknown_key",
                                 "no campaign has this public key; copy the key from `replayd campaign list`")
    static let originNotAllowed = Self(.forbidden, "origin_not_allowed",
                                       "this page's origin is not allowed for the campaign; add it with `replayd campaign update --origin`")
    static let originMismatch = Self(.forbidden, "origin_mismatch",
                                     "the url's origin differs from the request's Origin header; send the page's own URL")
    static func tooLarge(limit: Int) -> Self {
        .init(.contentTooLarge, "payload_too_large", "an install ping is at most \(limit) bytes")
    }
    static func unsupportedEncoding(_ encoding: String) -> Self {
        .init(.unsupportedMediaType, "unsupported_encoding", "Content-Encoding \(encoding) is not supported; send the ping uncompressed")
    }
    static func unsupportedType(_ type: String) -> Self {
        .init(.unsupportedMediaType, "unsupported_media_type",
              "Content-Type \(type) is not supported; send application/json or text/plain")
    }
    static func methodNotAllowed(_ allowed: String) -> Self {
        .init(.methodNotAllowed, "method_not_allowed", "use \(allowed) on this path")
    }
    static let unauthorized = Self(.unauthorized, "unauthorized",
                                   "send an analyst token for this campaign: Authorization: Bearer <token> (`replayd token create`)")
    static func unavailable(_ why: String, retryAfter: Int = 5) -> Self {
        .init(.serviceUnavailable, "unavailable", "\(why); retry after \(retryAfter) s", retryAfter: retryAfter)
    }
    static let overloaded = unavailable("too many install pings are waiting to be written to PostgreSQL", retryAfter: 10)
    static let storesDown = unavailable("neither Redis nor PostgreSQL can be reached to read install status", retryAfter: 5)
}
