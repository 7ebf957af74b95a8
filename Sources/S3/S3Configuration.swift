import Foundation

/// Where the bucket is and how the client talks to it.
public struct S3Configuration: Sendable {
    /// `http(s)://host[:port]` of the S3 API (AWS: `https://s3.<region>.amazonaws.com`).
    public var endpoint: String
    public var region: String
    public var bucket: String
    /// `endpoint/bucket/key` (S3-compatible stores, the local stack) instead of `bucket.endpoint/key`.
    public var pathStyle: Bool = true
    /// Multipart part size (min 5 MiB, max 5 GiB); grown automatically so a file needs ≤ 10,000 parts.
    public var partSize: Int = 8 << 20
    /// Files of at least this many bytes are uploaded with multipart upload, smaller ones with one PUT.
    public var multipartThreshold: Int = 5 << 20
    /// Parts uploaded at the same time.
    public var maxParallelParts: Int = 4
    /// Attempts per request (and per part), the first included.
    public var maxAttempts: Int = 5
    public var baseRetryDelay: Duration = .milliseconds(200)
    public var maxRetryDelay: Duration = .seconds(10)
    /// Send `x-amz-content-sha256: UNSIGNED-PAYLOAD` instead of hashing uploads (saves a read of
    /// the file; TLS still protects the transfer).
    public var unsignedPayload: Bool = false
    /// Compare upload ETags with the MD5 computed while hashing (single PUTs, parts, and the
    /// `"<md5 of part md5s>-N"` multipart ETag). Size is always verified with HeadObject.
    public var verifyETags: Bool = true
    /// Limit for one request (a part, a PUT, a GET) unless the transport's default is wanted.
    public var requestTimeout: Duration? = nil

    /// Testing only: called before each attempt of each part upload with (part number, attempt);
    /// a thrown error counts as that attempt's failure (an ``S3Error`` keeps its retry class,
    /// anything else counts as a transport error).
    var partFaultInjector: (@Sendable (_ partNumber: Int, _ attempt: Int) throws -> Void)? = nil

    public init(endpoint: String, region: String = "us-east-1", bucket: String, pathStyle: Bool = true) {
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.pathStyle = pathStyle
    }

    /// Checks the values; throws an ``S3Error`` of kind `.configuration` naming the bad one.
    public func validate() throws {
        func fail(_ message: String) throws -> Never { throw S3Error(kind: .configuration, message: message) }
        if !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            try fail("S3 endpoint \(endpoint) must start with http:// or https://")
        }
        if bucket.isEmpty || bucket.contains("/") { try fail("S3 bucket name \(bucket) is not valid") }
        if region.isEmpty { try fail("S3 region is empty; use us-east-1 for S3-compatible stores that ignore it") }
        if partSize < 5 << 20 || partSize > 5 << 30 { try fail("S3 part size \(partSize) must be between 5 MiB and 5 GiB") }
        if multipartThreshold < 1 { try fail("S3 multipart threshold must be positive") }
        if maxParallelParts < 1 { try fail("S3 parallel parts must be at least 1") }
        if maxAttempts < 1 { try fail("S3 max attempts must be at least 1") }
    }

    var retryPolicy: S3RetryPolicy { S3RetryPolicy(maxAttempts: maxAttempts, baseDelay: baseRetryDelay, maxDelay: maxRetryDelay) }

    /// The endpoint without a trailing slash.
    var trimmedEndpoint: String {
        var value = endpoint
        while value.hasSuffix("/") { value.removeLast() }
        return value
    }

    /// The URL of `key` (or of the bucket when `key` is nil) with an encoded query.
    func url(key: String?, query: [(name: String, value: String?)] = []) -> String {
        var base: String
        if pathStyle {
            base = trimmedEndpoint + "/" + S3URIEncoding.encode(bucket)
            if let key { base += "/" + S3URIEncoding.encodeKey(key) }
        } else {
            let parsed = SigV4URL(trimmedEndpoint)
            let prefix = parsed.rawPath == "/" ? "" : parsed.rawPath
            base = "\(parsed.scheme)://\(bucket).\(parsed.host)\(prefix)/" + (key.map(S3URIEncoding.encodeKey) ?? "")
        }
        if query.isEmpty { return base }
        let encoded = query.map { item in
            item.value.map { "\(S3URIEncoding.encode(item.name))=\(S3URIEncoding.encode($0))" } ?? S3URIEncoding.encode(item.name)
        }
        return base + "?" + encoded.joined(separator: "&")
    }

    /// The part size for a file of `size` bytes: the configured size, grown (in whole MiB) so that
    /// the file needs at most 10,000 parts.
    func effectivePartSize(forFileSize size: Int64) -> Int64 {
        let configured = Int64(max(partSize, 5 << 20))
        let minimum = (size + 9_999) / 10_000
        guard minimum > configured else { return configured }
        let mib = Int64(1 << 20)
        return (minimum + mib - 1) / mib * mib
    }
}
