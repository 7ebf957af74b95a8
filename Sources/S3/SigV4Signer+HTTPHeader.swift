import Curl
import Foundation

extension SigV4Signer {
    /// Signs a request with an `Authorization` header and returns every header to send: `headers`
    /// plus `Host`, `X-Amz-Date`, `x-amz-content-sha256`, `X-Amz-Security-Token` (with a session
    /// token) and `Authorization`.
    ///
    /// - Parameters:
    ///   - url: the absolute URL as sent, its path already encoded once (``S3URIEncoding/encodeKey(_:)``).
    ///   - payloadHash: hex SHA-256 of the body (``PayloadHasher``), or ``unsignedPayload``.
    public func signHeaders(method: String, url: String, headers: [HTTPHeader], payloadHash: String, date: Date = Date()) -> [HTTPHeader] {
        signRequest(method: method, url: url, headers: headers.map { ($0.name, $0.value) }, payloadHash: payloadHash, date: date)
            .headers.map { HTTPHeader(name: $0.name, value: $0.value) }
    }
}
