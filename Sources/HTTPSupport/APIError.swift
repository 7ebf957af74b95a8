import Core
import HTTPTypes

/// An answer of replayd's HTTP endpoints other than success: status, a stable snake_case code, a
/// message that says what to do, and for 429/503 how long to wait. ``APIResponses/error(_:cors:allow:)``
/// is the one place it becomes a response (`{"error":{"code":…,"message":…}}`). Components add their
/// own named answers in extensions (`CollectorError`, `TrackerError` are this type).
public struct APIError: UserFacingError, Equatable {
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

    public static func invalidField(_ field: String, _ problem: String) -> Self {
        .init(.badRequest, "invalid_field", "\(field) \(problem)")
    }
    public static let unknownKey = Self(.unauthorized, "unknown_key",
                                        "no campaign has this public key; copy the key from `replayd campaign list`")
    public static let originNotAllowed = Self(.forbidden, "origin_not_allowed",
                                              "this page's origin is not allowed for the campaign; add it with `replayd campaign update --origin`")
    public static func methodNotAllowed(_ allowed: String) -> Self {
        .init(.methodNotAllowed, "method_not_allowed", "use \(allowed) on this path")
    }
    public static func unsupportedType(_ type: String) -> Self {
        .init(.unsupportedMediaType, "unsupported_media_type",
              "Content-Type \(type) is not supported; send application/json or text/plain")
    }
    public static let notAPreflight = Self(.badRequest, "not_a_preflight", "OPTIONS needs an Origin header")
    public static func unavailable(_ why: String, retryAfter: Int = 5) -> Self {
        .init(.serviceUnavailable, "unavailable", "\(why); retry after \(retryAfter) s", retryAfter: retryAfter)
    }
}
