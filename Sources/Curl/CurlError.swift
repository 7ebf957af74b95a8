import CCurl
import Core

/// A failed transfer: no (complete) HTTP response was received. HTTP error statuses are not
/// errors — they come back as a ``CurlResponse``.
///
/// Task cancellation surfaces as `CancellationError` instead.
public struct CurlError: UserFacingError, Equatable {
    /// What kind of failure it was; decide on retries with this.
    public enum Kind: String, Sendable {
        /// The request or connect timeout elapsed, or the transfer stayed below the low-speed limit.
        case timeout
        /// No connection could be made (refused, unresolvable host, TLS handshake failure).
        case connectFailed
        /// The connection broke while sending the request.
        case sendFailed
        /// The connection broke while receiving the response.
        case receiveFailed
        /// The transfer was stopped on purpose: the client shut down, a sink refused data
        /// (e.g. the collect limit), or a stream consumer went away.
        case aborted
        /// Anything else (bad URL, unreadable body file, unwritable sink file, ...).
        case other
    }

    public var kind: Kind
    /// libcurl's `CURLcode` (raw value); `0` when the failure did not come from libcurl itself.
    public var curlCode: Int
    /// libcurl's own description (`CURLOPT_ERRORBUFFER`, or `curl_easy_strerror`); empty when
    /// the failure did not come from libcurl itself.
    public var curlMessage: String
    public var code: String
    public var message: String

    public init(kind: Kind, code: String? = nil, message: String, curlCode: Int = 0, curlMessage: String = "") {
        self.kind = kind
        self.code = code ?? "curl_" + Self.snakeCase(kind)
        self.message = message
        self.curlCode = curlCode
        self.curlMessage = curlMessage
    }

    private static func snakeCase(_ kind: Kind) -> String {
        switch kind {
        case .timeout: "timeout"
        case .connectFailed: "connect_failed"
        case .sendFailed: "send_failed"
        case .receiveFailed: "receive_failed"
        case .aborted: "aborted"
        case .other: "error"
        }
    }
}

extension CurlError {
    /// Builds the error for a failed `curl_easy_perform` or `curl_easy_setopt`.
    static func fromCurl(_ result: CURLcode, errorBuffer: String, method: String, url: String) -> CurlError {
        let text = errorBuffer.isEmpty ? String(cString: curl_easy_strerror(result)) : errorBuffer
        let kind: Kind
        let hint: String
        switch result {
        case CURLE_OPERATION_TIMEDOUT:
            kind = .timeout
            hint = "the server did not answer in time; check that it is healthy and not overloaded, or raise the timeout"
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY,
             CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            kind = .connectFailed
            hint = "check that the service is running and that the URL's host and port are right"
        case CURLE_SEND_ERROR, CURLE_SEND_FAIL_REWIND:
            kind = .sendFailed
            hint = "the connection broke while sending; the request can be retried"
        case CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            kind = .receiveFailed
            hint = "the connection broke while receiving; the request can be retried"
        case CURLE_ABORTED_BY_CALLBACK, CURLE_WRITE_ERROR, CURLE_READ_ERROR:
            kind = .aborted
            hint = "the transfer was stopped"
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            kind = .other
            hint = "check the URL (only absolute http:// and https:// URLs are allowed)"
        default:
            kind = .other
            hint = "see libcurl's message"
        }
        return CurlError(
            kind: kind,
            message: "\(method) \(redacted(url)) failed: \(text) (curl error \(result.rawValue)); \(hint)",
            curlCode: Int(result.rawValue),
            curlMessage: text
        )
    }

    /// The URL without its query string (which may hold presigned credentials).
    static func redacted(_ url: String) -> String {
        guard let q = url.firstIndex(of: "?") else { return url }
        return url[..<q] + "?…"
    }
}
