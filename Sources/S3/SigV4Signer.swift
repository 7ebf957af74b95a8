import Crypto
import Foundation

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`): credentials in, signed headers or a presigned URL
/// out. Pure: no I/O, no clock unless you leave `date` at its default.
///
/// S3 rules by default: the URL path is encoded once and never normalised, `x-amz-content-sha256`
/// carries the payload hash, `x-amz-security-token` is added and signed when the credentials have a
/// session token. ``Options`` switches on the generic-service variants the AWS test suite also covers.
public struct SigV4Signer: Sendable {
    /// Knobs for the non-S3 variants of the algorithm (all off/on as S3 needs by default).
    public struct Options: Sendable, Equatable {
        /// Remove `.`/`..` and empty path segments before signing (generic AWS services; never S3).
        public var normalizePath: Bool = false
        /// Add and sign `x-amz-content-sha256` when signing headers (S3 requires it).
        public var addContentSHA256Header: Bool = true
        /// Send the session token without signing it (header mode) or append it after signing
        /// (query mode), as some STS-based services expect. S3 signs it.
        public var omitSessionTokenFromSignature: Bool = false

        public init(normalizePath: Bool = false, addContentSHA256Header: Bool = true, omitSessionTokenFromSignature: Bool = false) {
            self.normalizePath = normalizePath
            self.addContentSHA256Header = addContentSHA256Header
            self.omitSessionTokenFromSignature = omitSessionTokenFromSignature
        }
    }

    /// Every intermediate result of one signing, for tests and debugging.
    public struct Result: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        /// Lower-case hex HMAC-SHA256.
        public var signature: String
        /// Header mode: the request's headers plus `host`, `x-amz-date`, `x-amz-content-sha256`,
        /// `x-amz-security-token` (as applicable) and `Authorization`. Query mode: the request's headers.
        public var headers: [(name: String, value: String)]
        /// Query mode: the presigned URL. Header mode: the URL unchanged.
        public var url: String
    }

    /// The `x-amz-content-sha256` value for a payload that is not hashed.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of the empty payload.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let algorithm = "AWS4-HMAC-SHA256"
    /// Headers that proxies or the transport may change; never signed.
    static let unsignedHeaderNames: Set<String> = ["authorization", "user-agent", "expect", "x-amzn-trace-id", "connection"]

    public var credentials: AWSCredentials
    public var region: String
    public var service: String
    public var options: Options

    public init(credentials: AWSCredentials, region: String, service: String = "s3", options: Options = .init()) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.options = options
    }

    // MARK: header signing

    /// Signs a request with an `Authorization` header.
    ///
    /// - Parameters:
    ///   - url: the absolute URL as it will be sent (path already S3-encoded, e.g. with ``S3URIEncoding/encodeKey(_:)``).
    ///   - headers: headers to send and sign (`Content-Type`, `x-amz-meta-*`, ...). `Host` is taken from the URL unless given.
    ///   - payloadHash: lower-case hex SHA-256 of the body, or ``unsignedPayload``.
    public func signRequest(
        method: String, url: String, headers: [(name: String, value: String)], payloadHash: String, date: Date = Date()
    ) -> Result {
        let parsed = SigV4URL(url)
        let stamp = SigV4Date(date)
        var all = headers.filter { !Self.unsignedHeaderNames.contains($0.name.lowercased()) && $0.name.lowercased() != "x-amz-date" }
        if !all.contains(where: { $0.name.lowercased() == "host" }) { all.insert(("host", parsed.host), at: 0) }
        all.append(("X-Amz-Date", stamp.dateTime))
        if options.addContentSHA256Header, !all.contains(where: { $0.name.lowercased() == "x-amz-content-sha256" }) {
            all.append(("x-amz-content-sha256", payloadHash))
        }
        var unsignedExtras: [(name: String, value: String)] = []
        if let token = credentials.sessionToken, !all.contains(where: { $0.name.lowercased() == "x-amz-security-token" }) {
            if options.omitSessionTokenFromSignature {
                unsignedExtras.append(("X-Amz-Security-Token", token))
            } else {
                all.append(("X-Amz-Security-Token", token))
            }
        }
        let canonicalHeaders = CanonicalRequest.headers(all)
        let canonical = CanonicalRequest.build(
            method: method.uppercased(),
            uri: CanonicalRequest.uri(rawPath: parsed.rawPath, normalize: options.normalizePath),
            query: CanonicalRequest.query(CanonicalRequest.queryItems(rawQuery: parsed.rawQuery)),
            headerBlock: canonicalHeaders.block,
            signedHeaders: canonicalHeaders.signed,
            payloadHash: payloadHash
        )
        let stringToSign = self.stringToSign(canonicalRequest: canonical, stamp: stamp)
        let signature = self.signature(stringToSign: stringToSign, stamp: stamp)
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(stamp)), SignedHeaders=\(canonicalHeaders.signed), Signature=\(signature)"
        // Unsigned transport headers the caller passed are still sent.
        let passthrough = headers.filter {
            let name = $0.name.lowercased()
            return Self.unsignedHeaderNames.contains(name) && name != "authorization"
        }
        return Result(
            canonicalRequest: canonical, stringToSign: stringToSign, signature: signature,
            headers: all + unsignedExtras + passthrough + [("Authorization", authorization)], url: url
        )
    }

    // MARK: query signing

    /// Signs a request in its query string (a presigned URL valid for `expires`, at most 7 days).
    ///
    /// - Parameters:
    ///   - headers: headers the holder of the URL must send; `host` always is signed.
    ///   - payloadHash: ``unsignedPayload`` for S3 presigned URLs.
    public func presignRequest(
        method: String, url: String, headers: [(name: String, value: String)] = [], expires: Duration,
        payloadHash: String = SigV4Signer.unsignedPayload, date: Date = Date()
    ) -> Result {
        let parsed = SigV4URL(url)
        let stamp = SigV4Date(date)
        var signedHeaders = headers.filter { !Self.unsignedHeaderNames.contains($0.name.lowercased()) }
        if !signedHeaders.contains(where: { $0.name.lowercased() == "host" }) { signedHeaders.insert(("host", parsed.host), at: 0) }
        let canonicalHeaders = CanonicalRequest.headers(signedHeaders)
        let seconds = max(1, min(604_800, Int(expires.components.seconds)))

        var items = CanonicalRequest.queryItems(rawQuery: parsed.rawQuery)
        items.append(("X-Amz-Algorithm", Self.algorithm))
        items.append(("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(stamp))"))
        items.append(("X-Amz-Date", stamp.dateTime))
        items.append(("X-Amz-Expires", String(seconds)))
        if let token = credentials.sessionToken, !options.omitSessionTokenFromSignature {
            items.append(("X-Amz-Security-Token", token))
        }
        items.append(("X-Amz-SignedHeaders", canonicalHeaders.signed))
        let query = CanonicalRequest.query(items)
        let canonical = CanonicalRequest.build(
            method: method.uppercased(),
            uri: CanonicalRequest.uri(rawPath: parsed.rawPath, normalize: options.normalizePath),
            query: query,
            headerBlock: canonicalHeaders.block,
            signedHeaders: canonicalHeaders.signed,
            payloadHash: payloadHash
        )
        let stringToSign = self.stringToSign(canonicalRequest: canonical, stamp: stamp)
        let signature = self.signature(stringToSign: stringToSign, stamp: stamp)
        var finalQuery = query + "&X-Amz-Signature=" + signature
        if let token = credentials.sessionToken, options.omitSessionTokenFromSignature {
            finalQuery += "&X-Amz-Security-Token=" + S3URIEncoding.encode(token)
        }
        return Result(
            canonicalRequest: canonical, stringToSign: stringToSign, signature: signature,
            headers: headers, url: parsed.base + "?" + finalQuery
        )
    }

    /// A presigned URL for `method` on `url` (S3: `UNSIGNED-PAYLOAD`, only `host` signed).
    public func presign(method: String = "GET", url: String, expires: Duration, date: Date = Date()) -> String {
        presignRequest(method: method, url: url, expires: expires, date: date).url
    }

    // MARK: the algorithm's steps

    func scope(_ stamp: SigV4Date) -> String { "\(stamp.date)/\(region)/\(service)/aws4_request" }

    func stringToSign(canonicalRequest: String, stamp: SigV4Date) -> String {
        let digest = SHA256.hash(data: Array(canonicalRequest.utf8))
        return [Self.algorithm, stamp.dateTime, scope(stamp), Hex.encode(digest)].joined(separator: "\n")
    }

    func signingKey(_ stamp: SigV4Date) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key))
        }
        let secret = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        return hmac(hmac(hmac(hmac(secret, stamp.date), region), service), "aws4_request")
    }

    func signature(stringToSign: String, stamp: SigV4Date) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(stamp)))
    }
}
