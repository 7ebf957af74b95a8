import Curl
import Foundation
import Logging
import Testing
@testable import S3

/// Pure rules of the integrity and metadata checks.
@Suite("S3 integrity and metadata rules")
struct IntegrityRulesTests {
    static func client() -> S3Client {
        S3Client(configuration: S3Configuration(endpoint: "http://127.0.0.1:1", region: "us-east-1", bucket: "b", pathStyle: true),
                 credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: "s"), logger: .init(label: "test"))
    }

    @Test("an ETag that is not the MD5 is refused, unless the object is KMS- or customer-key encrypted")
    func etagRules() throws {
        let client = Self.client()
        let md5: [UInt8] = Array(repeating: 0xAB, count: 16)
        let other = String(repeating: "cd", count: 16)
        #expect(throws: S3Error.self) { try client.verifyETag(other, md5: md5, response: CurlResponse(status: 200), what: "x") }
        try client.verifyETag(String(repeating: "ab", count: 16), md5: md5, response: CurlResponse(status: 200), what: "x")
        let kms = CurlResponse(status: 200, headers: [HTTPHeader(name: "x-amz-server-side-encryption", value: "aws:kms")])
        try client.verifyETag(other, md5: md5, response: kms, what: "x")
        let dsse = CurlResponse(status: 200, headers: [HTTPHeader(name: "X-Amz-Server-Side-Encryption", value: "aws:kms:dsse")])
        try client.verifyETag(other, md5: md5, response: dsse, what: "x")
        let customer = CurlResponse(status: 200, headers: [HTTPHeader(name: "x-amz-server-side-encryption-customer-algorithm", value: "AES256")])
        try client.verifyETag(other, md5: md5, response: customer, what: "x")
        // SSE-S3 (AES256) ETags are MD5s: still checked.
        let sseS3 = CurlResponse(status: 200, headers: [HTTPHeader(name: "x-amz-server-side-encryption", value: "AES256")])
        #expect(throws: S3Error.self) { try client.verifyETag(other, md5: md5, response: sseS3, what: "x") }
    }

    @Test("Content-MD5 is the base64 of the raw digest")
    func contentMD5() {
        let header = S3Client.contentMD5Header(Array(repeating: 0, count: 16))
        #expect(header.count == 1 && header[0].name == "Content-MD5" && header[0].value == "AAAAAAAAAAAAAAAAAAAAAA==")
        #expect(S3Client.contentMD5Header(nil).isEmpty)
    }

    @Test("metadata over S3's 2 KB is refused before sending; truncate fits a value to a budget of encoded bytes")
    func metadataLimit() throws {
        #expect(throws: S3Error.self) { _ = try S3Metadata.headers(["k": String(repeating: "v", count: 2048)]) }
        _ = try S3Metadata.headers(["k": String(repeating: "v", count: 2047)])
        #expect(S3Metadata.size(["ab": "cd"]) == 4)
        let url = "https://shop.example.com/ü/" + String(repeating: "x", count: 3000)
        for budget in [0, 1, 30, 31, 32, 33, 100, 2000] {
            let cut = S3Metadata.truncate(url, toEncodedBytes: budget)
            #expect(S3Metadata.encodeValue(cut).utf8.count <= budget, "budget \(budget)")
            #expect(url.hasPrefix(cut))
        }
        #expect(S3Metadata.truncate("short", toEncodedBytes: 100) == "short")
        // Whole characters only: the ü (percent-encoded as 6 bytes) is kept or dropped whole.
        let around = S3Metadata.truncate("aü", toEncodedBytes: 4)
        #expect(around == "a" || around == "aü")
    }
}
