import Crypto
import Curl
import Foundation
import Logging
import ServiceLifecycle

/// An S3 client over libcurl (``CurlClient``) with our own SigV4 signer.
///
/// Every request is signed with the payload's real SHA-256 (streamed from the file; or
/// `UNSIGNED-PAYLOAD` when configured), retried with exponential backoff and full jitter on
/// transport failures, 5xx, `SlowDown`, `RequestTimeout` and `InternalError`, and never retried on
/// other 4xx errors, which surface at once as ``S3Error`` with S3's message.
///
/// Run it in a `ServiceGroup`: at graceful shutdown ``run()`` closes the curl client it created
/// (one passed in belongs to the caller).
public final class S3Client: Service, Sendable {
    public let configuration: S3Configuration
    let signer: SigV4Signer
    let http: CurlClient
    let logger: Logger
    private let ownsHTTP: Bool

    /// Without `http`, the client creates (and owns) a ``CurlClient`` with `httpConfiguration`.
    public init(configuration: S3Configuration, credentials: AWSCredentials, logger: Logger, http: CurlClient? = nil,
                httpConfiguration: CurlClientConfiguration = .init()) {
        self.configuration = configuration
        self.signer = SigV4Signer(credentials: credentials, region: configuration.region, service: "s3")
        self.http = http ?? CurlClient(configuration: httpConfiguration)
        self.ownsHTTP = http == nil
        self.logger = logger
    }

    /// Waits for graceful shutdown, then closes the curl client this S3 client created.
    public func run() async throws {
        try? await gracefulShutdown()
        if ownsHTTP { await http.close() }
    }

    var accessKeyID: String { signer.credentials.accessKeyID }

    // MARK: objects

    /// Uploads `length` bytes of `file` from `offset` (default: to the end) with one PUT. Returns the ETag (unquoted).
    @discardableResult
    public func putObject(
        key: String, file: String, offset: Int64 = 0, length: Int64? = nil,
        contentType: String = "application/octet-stream", metadata: [String: String] = [:],
        progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws -> String {
        let size = try length ?? (PayloadHasher.fileSize(file) - offset)
        guard size <= 5 << 30 else {
            throw S3Error(kind: .configuration, message: "\(file) has \(size) bytes; a single PUT takes at most 5 GiB: use upload(file:key:) (multipart)")
        }
        let digests = try hashIfNeeded(file: file, offset: offset, length: size)
        var headers = [(name: "Content-Type", value: contentType)]
        headers += try S3Metadata.headers(metadata)
        headers += Self.contentMD5Header(digests?.md5)
        let request = S3Request(
            operation: "PutObject", method: "PUT", key: key, headers: headers,
            body: .file(path: file, offset: offset, length: size), payloadHash: digests?.sha256 ?? SigV4Signer.unsignedPayload
        )
        var curlProgress: (@Sendable (Int64, Int64) -> Void)?
        if let progress { curlProgress = { sent, _ in progress(sent, size) } }
        let response = try await perform(request, progress: curlProgress)
        let etag = unquoteETag(response.header("ETag") ?? "")
        try verifyETag(etag, md5: digests?.md5, response: response, what: "PutObject of s3://\(configuration.bucket)/\(key)")
        return etag
    }

    /// Uploads `bytes` with one PUT. Returns the ETag (unquoted).
    @discardableResult
    public func putObject(
        key: String, bytes: [UInt8], contentType: String = "application/octet-stream", metadata: [String: String] = [:]
    ) async throws -> String {
        let md5 = Array(CryptoMD5.hash(data: bytes))
        var headers = [(name: "Content-Type", value: contentType)]
        headers += try S3Metadata.headers(metadata)
        headers += Self.contentMD5Header(md5)
        let request = S3Request(
            operation: "PutObject", method: "PUT", key: key, headers: headers, body: .bytes(bytes),
            payloadHash: configuration.unsignedPayload ? SigV4Signer.unsignedPayload : PayloadHasher.sha256(bytes)
        )
        let response = try await perform(request)
        let etag = unquoteETag(response.header("ETag") ?? "")
        try verifyETag(etag, md5: md5, response: response, what: "PutObject of s3://\(configuration.bucket)/\(key)")
        return etag
    }

    /// HeadObject; `nil` when there is no such object (404).
    public func headObject(key: String) async throws -> S3ObjectHead? {
        do {
            let response = try await perform(S3Request(operation: "HeadObject", method: "HEAD", key: key))
            return Self.head(from: response)
        } catch let error as S3Error where error.status == 404 {
            return nil
        }
    }

    /// Downloads an object into `toFile` (created or truncated), streamed to disk.
    public func getObject(key: String, toFile path: String) async throws {
        _ = try await perform(S3Request(operation: "GetObject", method: "GET", key: key), sink: .file(path: path))
    }

    /// Downloads at most `maxBytes` of an object into memory (larger objects fail).
    public func getObjectBytes(key: String, maxBytes: Int) async throws -> [UInt8] {
        try await perform(S3Request(operation: "GetObject", method: "GET", key: key), sink: .collect(maxBytes: maxBytes)).body
    }

    /// Starts a download and returns the object's head and its body as a stream of chunks.
    public func getObject(key: String) async throws -> S3ObjectStream {
        let request = S3Request(operation: "GetObject", method: "GET", key: key)
        return try await withRetries(request) { attempt in
            let (head, body) = try await self.http.stream(self.curlRequest(for: request))
            return try await self.objectStream(head: head, body: body, request: request)
        }
    }

    /// Sends a GetObject now and returns without waiting for it (one attempt, no retries):
    /// ``S3PendingObject/stream()`` waits for its head. For a download wanted soon that may turn out
    /// not to be needed (dropping it unawaited aborts it).
    public func startGetObject(key: String) -> S3PendingObject {
        let request = S3Request(operation: "GetObject", method: "GET", key: key)
        return S3PendingObject(client: self, request: request, pending: http.startStream(curlRequest(for: request)))
    }

    /// A GetObject response as a stream, or the ``S3Error`` its status and body say.
    func objectStream(head: CurlResponse, body: CurlBodyStream, request: S3Request) async throws -> S3ObjectStream {
        guard (200..<300).contains(head.status) else {
            var errorBody: [UInt8] = []
            for try await chunk in body {
                errorBody += chunk
                if errorBody.count > 64 << 10 { break }
            }
            body.cancel()
            throw serviceError(status: head.status, headers: head.headers, body: errorBody, request: request)
        }
        return S3ObjectStream(head: Self.head(from: head), body: body)
    }

    /// Deletes an object (succeeds when it does not exist, as S3 does).
    public func deleteObject(key: String) async throws {
        _ = try await perform(S3Request(operation: "DeleteObject", method: "DELETE", key: key))
    }

    /// Lists objects under `prefix` (after `startAfter`), following ListObjectsV2 continuation
    /// tokens as the sequence is iterated; `maxKeys` is the page size.
    public func listObjects(prefix: String, startAfter: String? = nil, maxKeys: Int = 1000) -> S3ObjectListing {
        S3ObjectListing(client: self, prefix: prefix, startAfter: startAfter, maxKeys: maxKeys)
    }

    /// One ListObjectsV2 page.
    func listObjectsPage(prefix: String, startAfter: String?, continuationToken: String?, maxKeys: Int) async throws -> (objects: [S3ObjectSummary], next: String?) {
        var query: [(name: String, value: String?)] = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(maxKeys))]
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let startAfter { query.append(("start-after", startAfter)) }
        let response = try await perform(S3Request(operation: "ListObjectsV2", method: "GET", key: nil, query: query))
        guard let root = S3XMLElement.parse(response.body), root.name == "ListBucketResult" else {
            throw malformed("ListObjectsV2", response.body)
        }
        let objects = root.children("Contents").map { item in
            S3ObjectSummary(
                key: item.value("Key") ?? "", size: Int64(item.value("Size") ?? "") ?? 0,
                etag: unquoteETag(item.value("ETag") ?? ""), lastModified: item.value("LastModified") ?? ""
            )
        }
        let truncated = root.value("IsTruncated") == "true"
        let next = root.value("NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 }
        return (objects, truncated ? next : nil)
    }

    // MARK: bucket

    /// Creates the bucket; succeeds when it already exists and belongs to these credentials.
    public func createBucket() async throws {
        var body: [UInt8] = []
        if configuration.region != "us-east-1" {
            body = Array("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(S3XMLElement.escape(configuration.region))</LocationConstraint></CreateBucketConfiguration>".utf8)
        }
        do {
            _ = try await perform(S3Request(
                operation: "CreateBucket", method: "PUT", key: nil, body: body.isEmpty ? .none : .bytes(body),
                payloadHash: PayloadHasher.sha256(body)
            ))
        } catch let error as S3Error where error.serviceCode == "BucketAlreadyOwnedByYou" {
            return
        }
    }

    // MARK: presigning

    /// A URL anyone can GET the object with until `expires` from now (at most 7 days).
    public func presignedGetURL(key: String, expires: Duration) -> String {
        signer.presign(method: "GET", url: configuration.url(key: key), expires: expires, date: Date())
    }

    // MARK: helpers

    /// The body's digests: its MD5 always (sent as `Content-MD5`, which S3 checks itself and refuses
    /// with `BadDigest` when the body it received differs), its SHA-256 unless the payload is unsigned.
    func hashIfNeeded(file: String, offset: Int64, length: Int64) throws -> PayloadHasher.Digests? {
        let digests = try PayloadHasher.digests(path: file, offset: offset, length: length, md5: true)
        if configuration.unsignedPayload {
            return PayloadHasher.Digests(sha256: SigV4Signer.unsignedPayload, md5: digests.md5)
        }
        return digests
    }

    /// `Content-MD5` (base64 of the raw MD5) for a body whose MD5 is known.
    static func contentMD5Header(_ md5: [UInt8]?) -> [(name: String, value: String)] {
        guard let md5 else { return [] }
        return [(name: "Content-MD5", value: Data(md5).base64EncodedString())]
    }

    /// Whether S3 stored the object with server-side encryption whose ETag is not the MD5 of the
    /// data (SSE-KMS, DSSE-KMS, SSE-C). Integrity then rests on `Content-MD5`, which S3 checked.
    static func etagIsNotMD5(_ response: CurlResponse) -> Bool {
        if let sse = response.header("x-amz-server-side-encryption")?.lowercased(), sse.hasPrefix("aws:kms") { return true }
        return response.header("x-amz-server-side-encryption-customer-algorithm") != nil
    }

    /// Compares an ETag that looks like a plain MD5 with the MD5 computed locally (unless the
    /// response says the object is encrypted so that its ETag is not an MD5).
    func verifyETag(_ etag: String, md5: [UInt8]?, response: CurlResponse, what: String) throws {
        guard !Self.etagIsNotMD5(response) else { return }
        guard configuration.verifyETags, let md5, etag.count == 32, etag.allSatisfy(\.isHexDigit) else { return }
        let expected = Hex.encode(md5)
        guard etag.lowercased() == expected else {
            throw S3Error(kind: .integrity, message: "\(what): S3 stored ETag \(etag) but the data sent has MD5 \(expected); the upload was corrupted in transit")
        }
    }

    static func head(from response: CurlResponse) -> S3ObjectHead {
        var metadata: [String: String] = [:]
        for header in response.headers where header.name.lowercased().hasPrefix(S3Metadata.headerPrefix) {
            metadata[String(header.name.lowercased().dropFirst(S3Metadata.headerPrefix.count))] = S3Metadata.decodeValue(header.value)
        }
        return S3ObjectHead(
            size: Int64(response.header("Content-Length") ?? "") ?? 0,
            etag: unquoteETag(response.header("ETag") ?? ""),
            contentType: response.header("Content-Type"),
            metadata: metadata,
            lastModified: response.header("Last-Modified")
        )
    }

    func malformed(_ operation: String, _ body: [UInt8]) -> S3Error {
        S3Error(kind: .service(code: "MalformedResponse", requestID: nil, status: 200),
                message: "S3 \(operation) answered with a document this client cannot read: \(String(decoding: body.prefix(300), as: UTF8.self))")
    }
}
