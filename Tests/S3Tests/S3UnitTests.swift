import Core
import Crypto
import Foundation
import Testing
@testable import S3

@Suite("S3 pieces without a server")
struct S3UnitTests {
    static let exampleCredentials = AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let exampleDate = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    @Test("the S3 documentation's header-signing example (GET with Range)")
    func s3DocumentationHeaderExample() {
        let signer = SigV4Signer(credentials: Self.exampleCredentials, region: "us-east-1")
        let result = signer.signRequest(
            method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt", headers: [("Range", "bytes=0-9")],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.exampleDate
        )
        #expect(result.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(result.canonicalRequest.hasSuffix("host;range;x-amz-content-sha256;x-amz-date\n\(SigV4Signer.emptyPayloadHash)"))
    }

    @Test("the S3 documentation's presigned URL example")
    func s3DocumentationPresignExample() {
        let signer = SigV4Signer(credentials: Self.exampleCredentials, region: "us-east-1")
        let url = signer.presign(method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt", expires: .seconds(86400), date: Self.exampleDate)
        #expect(url == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test("S3 paths are encoded once and never normalised")
    func s3PathEncoding() {
        #expect(S3URIEncoding.encodeKey("a b/c+d/ü~._-/%41") == "a%20b/c%2Bd/%C3%BC~._-/%2541")
        #expect(S3URIEncoding.encode("a/b") == "a%2Fb")
        #expect(S3URIEncoding.decode("a%20b%2Fc%zz%4") == "a b/c%zz%4")
        // An already encoded path is not encoded again; dot segments and double slashes stay.
        #expect(CanonicalRequest.uri(rawPath: "/bucket/a%20b/./../%C3%BC//x", normalize: false) == "/bucket/a%20b/./../%C3%BC//x")
        let config = S3Configuration(endpoint: "http://127.0.0.1:18333/", bucket: "b")
        #expect(config.url(key: "x y/ü", query: [("uploads", nil), ("prefix", "a b")]) == "http://127.0.0.1:18333/b/x%20y/%C3%BC?uploads&prefix=a%20b")
        var virtual = S3Configuration(endpoint: "https://s3.eu-west-1.amazonaws.com", region: "eu-west-1", bucket: "b")
        virtual.pathStyle = false
        #expect(virtual.url(key: "k") == "https://b.s3.eu-west-1.amazonaws.com/k")
    }

    @Test("a session token is sent and signed; UNSIGNED-PAYLOAD is honoured")
    func sessionTokenAndUnsignedPayload() {
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: "AK", secretAccessKey: "SK", sessionToken: "TOKEN"), region: "us-east-1")
        let result = signer.signRequest(method: "PUT", url: "http://localhost:9000/b/k", headers: [], payloadHash: SigV4Signer.unsignedPayload, date: Self.exampleDate)
        let names = result.headers.map { $0.name.lowercased() }
        #expect(names.contains("x-amz-security-token"))
        #expect(result.headers.contains { $0.name == "x-amz-content-sha256" && $0.value == "UNSIGNED-PAYLOAD" })
        #expect(result.headers.contains { $0.name == "Authorization" && $0.value.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,") })
        #expect(result.canonicalRequest.hasPrefix("PUT\n/b/k\n\nhost:localhost:9000\n"))
        let url = signer.presign(url: "http://localhost:9000/b/k", expires: .seconds(60), date: Self.exampleDate)
        #expect(url.contains("X-Amz-Security-Token=TOKEN&"))
    }

    @Test("retry classification: throttling and 5xx retry, auth and validation errors do not")
    func retryClassification() {
        func service(_ code: String, _ status: Int) -> S3Error { S3Error(kind: .service(code: code, requestID: nil, status: status), message: "") }
        #expect(S3RetryPolicy.isRetryable(service("SlowDown", 503)))
        #expect(S3RetryPolicy.isRetryable(service("InternalError", 500)))
        #expect(S3RetryPolicy.isRetryable(service("RequestTimeout", 400)))
        #expect(S3RetryPolicy.isRetryable(service("ServiceUnavailable", 503)))
        #expect(S3RetryPolicy.isRetryable(S3Error(kind: .transport, message: "")))
        for code in ["SignatureDoesNotMatch", "AccessDenied", "InvalidAccessKeyId"] { #expect(!S3RetryPolicy.isRetryable(service(code, 403))) }
        #expect(!S3RetryPolicy.isRetryable(service("NoSuchBucket", 404)))
        #expect(!S3RetryPolicy.isRetryable(service("EntityTooSmall", 400)))
        #expect(!S3RetryPolicy.isRetryable(S3Error(kind: .integrity, message: "")))

        let policy = S3RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .milliseconds(500))
        for attempt in 1...8 {
            let ceiling = min(Duration.milliseconds(500), .milliseconds(100) * (1 << (attempt - 1)))
            for _ in 0..<50 {
                let delay = policy.delay(afterAttempt: attempt)
                #expect(delay >= .zero && delay <= ceiling)
            }
        }
    }

    @Test("S3 XML errors are parsed into code, message and request id")
    func errorParsing() {
        let body = Array("""
        <?xml version="1.0" encoding="UTF-8"?>
        <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match &amp; &lt;so&gt; &#233;</Message><Resource>/b/k</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>
        """.utf8)
        let parsed = S3ErrorResponse.parse(body)
        #expect(parsed == S3ErrorResponse(code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match & <so> é", requestID: "4442587FB7D0A2F9", resource: "/b/k"))
        #expect(S3ErrorResponse.parse(Array("not xml".utf8)) == nil)
        #expect(S3ErrorResponse.parse(Array("<ListBucketResult/>".utf8)) == nil)
        #expect(S3Error(kind: .service(code: "NoSuchKey", requestID: nil, status: 404), message: "m").code == "s3_no_such_key")
    }

    @Test("part size grows so a file needs at most 10,000 parts")
    func partSizing() {
        let config = S3Configuration(endpoint: "http://localhost", bucket: "b")
        #expect(config.effectivePartSize(forFileSize: 300 << 20) == 8 << 20)
        let huge: Int64 = 100 << 30
        let part = config.effectivePartSize(forFileSize: huge)
        #expect(part % (1 << 20) == 0)
        #expect((huge + part - 1) / part <= 10_000)
        #expect(part == 11 << 20)
        var bad = config
        bad.partSize = 1 << 20
        #expect(throws: S3Error.self) { try bad.validate() }
    }

    @Test("the multipart ETag is the MD5 of the part MD5s and the part count")
    func multipartETag() {
        let parts = [Array("part one".utf8), Array("part two".utf8)].map { Array(Insecure.MD5.hash(data: $0)) }
        let expected = Hex.encode(Array(Insecure.MD5.hash(data: parts[0] + parts[1]))) + "-2"
        #expect(S3MultipartUploader.multipartETag(partMD5s: parts) == expected)
    }

    @Test("metadata values outside printable ASCII are percent-encoded and round-trip")
    func metadataEncoding() throws {
        #expect(S3Metadata.encodeValue("plain value") == "plain value")
        #expect(S3Metadata.encodeValue("100% grün\n") == "100%25 gr%C3%BCn%0A")
        #expect(S3Metadata.encodeValue(" padded ") == "%20padded%20")
        for value in ["plain", "100% grün", "日本語", " x ", "%41"] {
            #expect(S3Metadata.decodeValue(S3Metadata.encodeValue(value)) == value)
        }
        #expect(throws: S3Error.self) { try S3Metadata.headers(["bad name": "x"]) }
    }

    @Test("credentials come from the standard environment variables")
    func credentialsFromEnvironment() throws {
        var reader = EnvironmentReader(["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "T"])
        let creds = try #require(AWSCredentials(from: &reader))
        try reader.validate()
        #expect(creds == AWSCredentials(accessKeyID: "AK", secretAccessKey: "SK", sessionToken: "T"))
        #expect(!creds.description.contains("SK"))
        var partial = EnvironmentReader(["AWS_ACCESS_KEY_ID": "AK"])
        #expect(AWSCredentials(from: &partial) == nil)
        let missing = #expect(throws: ReplaydError.self) { try partial.validate() }
        #expect(missing?.code == "invalid_configuration")
        #expect(missing?.message.contains("AWS_SECRET_ACCESS_KEY") == true)
        var none = EnvironmentReader([:])
        #expect(AWSCredentials(from: &none) == nil)
        #expect(none.problems.isEmpty, "no credentials at all is not an error until a service needs S3")
    }

    @Test("payload hashing streams a byte range of a file")
    func payloadHashing() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hash-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = (0..<(3 << 20) + 7).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let digests = try PayloadHasher.digests(path: path, offset: 1000, length: Int64(bytes.count - 2000), md5: true)
        let range = Array(bytes[1000..<(bytes.count - 1000)])
        #expect(digests.sha256 == Hex.encode(SHA256.hash(data: range)))
        #expect(digests.md5 == Array(Insecure.MD5.hash(data: range)))
        #expect(try PayloadHasher.digests(path: path, offset: 0, length: 0).sha256 == SigV4Signer.emptyPayloadHash)
        #expect(throws: S3Error.self) { try PayloadHasher.digests(path: path, offset: 10, length: Int64(bytes.count)) }
    }
}
