import HTTPSupport
import HTTPTypes

/// The Collector's refusals of `POST /v1/batch` (see docs/openapi.yaml).
public typealias CollectorError = APIError

extension APIError {
    static func malformed(_ message: String) -> Self { .init(.badRequest, "malformed_batch", message) }
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
    static let inflightBytesSpent = unavailable("this Collector is receiving as many batch bytes as it may hold at once", retryAfter: 1)
    static func rateLimited(retryAfter: Int) -> Self {
        .init(.tooManyRequests, "rate_limited",
              "the campaign's event rate limit is reached; retry after \(retryAfter) s", retryAfter: retryAfter)
    }
    static func sessionRefused(retryAfter: Int) -> Self {
        .init(.tooManyRequests, "session_refused",
              "the campaign's new-session limit is reached; stop recording this session", retryAfter: retryAfter)
    }
}
