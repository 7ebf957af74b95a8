import Core
import Curl

/// When and how long to wait before retrying an S3 request: exponential backoff with full jitter
/// (a uniformly random delay between 0 and `min(maxDelay, baseDelay · 2^(attempt-1))`).
///
/// Retried: transport failures (connection refused or broken, timeouts), HTTP 5xx, 429, and the
/// S3 codes `SlowDown`, `RequestTimeout`, `InternalError`, `ServiceUnavailable`. Never retried:
/// other 4xx answers (`SignatureDoesNotMatch`, `AccessDenied`, `NoSuchBucket`, ...) and integrity
/// or configuration errors — they surface at once with S3's message.
public struct S3RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int, baseDelay: Duration, maxDelay: Duration) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public static let retryableCodes: Set<String> = ["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling", "ThrottlingException"]

    /// Whether `error` is worth another attempt.
    public static func isRetryable(_ error: any Error) -> Bool {
        if let error = error as? S3Error {
            switch error.kind {
            case .transport: return true
            case .integrity, .configuration: return false
            case .service(let code, _, let status):
                return status >= 500 || status == 429 || retryableCodes.contains(code)
            }
        }
        if let error = error as? CurlError {
            // A request the client itself shut down is not worth retrying.
            return error.code != "curl_client_shut_down"
        }
        return false
    }

    /// The delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed.
    public func delay(afterAttempt attempt: Int) -> Duration {
        Backoff(baseDelay: baseDelay, maxDelay: maxDelay, jitter: .full).delay(afterAttempts: attempt)
    }
}
