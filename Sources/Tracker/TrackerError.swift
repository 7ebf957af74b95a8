import HTTPSupport
import HTTPTypes

/// The tracker's refusals (codes match the Collector's `/v1/batch` errors where they mean the same).
public typealias TrackerError = APIError

extension APIError {
    static func malformed(_ message: String) -> Self { .init(.badRequest, "malformed_ping", message) }
    static let originMismatch = Self(.forbidden, "origin_mismatch",
                                     "the url's origin differs from the request's Origin header; send the page's own URL")
    static func tooLarge(limit: Int) -> Self {
        .init(.contentTooLarge, "payload_too_large", "an install ping is at most \(limit) bytes")
    }
    static func unsupportedEncoding(_ encoding: String) -> Self {
        .init(.unsupportedMediaType, "unsupported_encoding", "Content-Encoding \(encoding) is not supported; send the ping uncompressed")
    }
    static let unauthorized = Self(.unauthorized, "unauthorized",
                                   "send an analyst token for this campaign: Authorization: Bearer <token> (`replayd token create`)")
    static let overloaded = unavailable("too many install pings are waiting to be written to PostgreSQL", retryAfter: 10)
    static func pingsLimited(limit: Int, retryAfter: Int) -> Self {
        .init(.tooManyRequests, "install_rate_limited",
              "the campaign's install ping limit (\(limit) per minute) is reached; retry after \(retryAfter) s "
                  + "(raise it with `replayd campaign update --install-pings-per-minute`)", retryAfter: retryAfter)
    }
    static func siteLimitReached(limit: Int) -> Self {
        .init(.forbidden, "site_limit_reached",
              "the campaign already records its limit of \(limit) sites; this host is not recorded "
                  + "(narrow the campaign's origins, or raise the cap with `replayd campaign update --max-sites`)")
    }
    static let storesDown = unavailable("neither Redis nor PostgreSQL can be reached to read install status", retryAfter: 5)
}
