import Foundation
import Testing
import TestSupport
@testable import S3

/// Operations against the real SeaweedFS of the local stack (`scripts/stack up`). Serialized so the
/// memory measurement of the large upload is not disturbed by the other tests of this suite.
@Suite("S3 client against SeaweedFS", .serialized)
struct S3ClientTests {
    @Test("a wrong secret fails at once with SignatureDoesNotMatch, without retries")
    func wrongSecret() async throws {
        let client = S3Fixture.client(secret: "not-the-secret") { $0.baseRetryDelay = .seconds(1) }
        let start = ContinuousClock.now
        let error = await #expect(throws: S3Error.self) {
            try await client.putObject(key: TestStack.uniqueName("wrong-secret"), bytes: Array("x".utf8), contentType: "text/plain", metadata: [:])
        }
        let elapsed = ContinuousClock.now - start
        #expect(error?.serviceCode == "SignatureDoesNotMatch")
        #expect(error?.status == 403)
        #expect(error?.attempts == 1)
        #expect(error?.message.contains("check AWS_SECRET_ACCESS_KEY for key \(TestStack.accessKey)") == true)
        #expect(elapsed < .seconds(1), "took \(elapsed): was it retried?")
    }

    @Test("createBucket is idempotent for our own bucket")
    func createBucketTwice() async throws {
        let client = S3Fixture.client()
        try await client.createBucket()
        try await client.createBucket()
    }

    @Test("put, head with metadata, get, delete; missing objects")
    func basicOperations() async throws {
        let client = S3Fixture.client()
        let key = TestStack.uniqueName("basic") + "/a b+c=ü.json"
        let body = Array("{\"hello\":\"world\"}".utf8)
        let metadata = ["session-id": "s-123", "note": "100% grün"]
        let etag = try await client.putObject(key: key, bytes: body, contentType: "application/json", metadata: metadata)
        #expect(etag.count == 32)

        let head = try #require(try await client.headObject(key: key))
        #expect(head.size == Int64(body.count))
        #expect(head.etag == etag)
        #expect(head.contentType == "application/json")
        #expect(head.metadata == metadata)

        #expect(try await client.getObjectBytes(key: key, maxBytes: 1 << 20) == body)
        // The AWS CLI (an independent signer) sees the same object.
        let cli = try shell("AWS_ACCESS_KEY_ID=\(TestStack.accessKey) AWS_SECRET_ACCESS_KEY=\(TestStack.secretKey) aws --region us-east-1 --endpoint-url \(TestStack.s3Endpoint) s3api head-object --bucket \(TestStack.s3Bucket) --key '\(key)'")
        #expect(cli.status == 0, "aws s3api head-object: \(cli.output)")

        try await client.deleteObject(key: key)
        #expect(try await client.headObject(key: key) == nil)
        let missing = await #expect(throws: S3Error.self) { try await client.getObjectBytes(key: key, maxBytes: 1024) }
        #expect(missing?.serviceCode == "NoSuchKey")
        #expect(missing?.attempts == 1)
    }

    @Test("startGetObject streams the object when awaited; a missing key is NoSuchKey")
    func startedGet() async throws {
        let client = S3Fixture.client()
        let key = TestStack.uniqueName("started") + "/object.bin"
        let body = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        _ = try await client.putObject(key: key, bytes: body, contentType: "application/octet-stream")
        let pending = client.startGetObject(key: key)
        var received: [UInt8] = []
        for try await chunk in try await pending.stream() { received += chunk }
        #expect(received == body)
        let missing = await #expect(throws: S3Error.self) { try await client.startGetObject(key: key + ".missing").stream() }
        #expect(missing?.serviceCode == "NoSuchKey")
        #expect(missing?.status == 404)
        try await client.deleteObject(key: key)
    }

    @Test("uploads of 0 B, 1 B, 5 MiB - 1, 5 MiB and 5 MiB + 1 round-trip")
    func uploadSizes() async throws {
        let client = S3Fixture.client { $0.partSize = 5 << 20; $0.multipartThreshold = 5 << 20 }
        let directory = try S3Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let prefix = TestStack.uniqueName("sizes")
        for size in [0, 1, (5 << 20) - 1, 5 << 20, (5 << 20) + 1] {
            let input = try S3Fixture.randomFile(in: directory, size: size)
            let key = "\(prefix)/\(size).bin"
            let result = try await client.upload(file: input, key: key, metadata: ["size": String(size)])
            #expect(result.size == Int64(size))
            #expect(result.multipart == (size >= 5 << 20), "size \(size)")
            #expect(result.parts == (size > 5 << 20 ? 2 : 1), "size \(size)")
            if result.multipart { #expect(result.etag.hasSuffix("-\(result.parts)"), "etag \(result.etag)") }
            let head = try #require(try await client.headObject(key: key))
            #expect(head.metadata == ["size": String(size)])
            #expect(head.size == Int64(size))

            let output = directory.appendingPathComponent("output-\(size)").path
            try await client.getObject(key: key, toFile: output)
            #expect(try S3Fixture.sha256sum(output) == S3Fixture.sha256sum(input), "size \(size)")

            // The streamed download gives the same bytes.
            let stream = try await client.getObject(key: key)
            #expect(stream.head.size == Int64(size))
            var streamed = [UInt8]()
            for try await chunk in stream { streamed += chunk }
            #expect(PayloadHasher.sha256(streamed) == (try S3Fixture.sha256sum(input)))
            try await client.deleteObject(key: key)
        }
    }

    @Test("a 300 MiB upload and download keep memory flat")
    func largeUpload() async throws {
        let client = S3Fixture.client()
        let directory = try S3Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let size = 300 << 20
        let input = try S3Fixture.randomFile(in: directory, size: size)
        let inputHash = try S3Fixture.sha256sum(input)
        let key = TestStack.uniqueName("large") + "/session.bin"
        let output = directory.appendingPathComponent("output").path
        let lastProgress = LockedBox<Int64>(0)

        let baseline = ProcessMemory.residentBytes()
        ProcessMemory.resetPeak()
        let result = try await client.upload(file: input, key: key) { sent, total in
            lastProgress.withValue { $0 = max($0, sent) }
            _ = total
        }
        try await client.getObject(key: key, toFile: output)
        let growth = ProcessMemory.peakResidentBytes() - baseline
        print("300 MiB upload + download: peak RSS growth \(growth >> 10) KiB")

        #expect(result.multipart)
        #expect(result.parts == 38)  // 300 MiB / 8 MiB
        #expect(result.etag.hasSuffix("-38"))
        #expect(lastProgress.withValue { $0 } == Int64(size))
        #expect(try S3Fixture.sha256sum(output) == inputHash)
        #expect(growth < 64 << 20, "peak RSS grew by \(growth >> 20) MiB")
        try await client.deleteObject(key: key)
    }

    @Test("UNSIGNED-PAYLOAD uploads are accepted too")
    func unsignedPayload() async throws {
        let client = S3Fixture.client { $0.unsignedPayload = true; $0.partSize = 5 << 20 }
        let directory = try S3Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try S3Fixture.randomFile(in: directory, size: (6 << 20) + 3)
        let key = TestStack.uniqueName("unsigned") + "/session.bin"
        let result = try await client.upload(file: input, key: key)
        #expect(result.parts == 2)
        let output = directory.appendingPathComponent("output").path
        try await client.getObject(key: key, toFile: output)
        #expect(try S3Fixture.sha256sum(output) == S3Fixture.sha256sum(input))
        try await client.deleteObject(key: key)
    }

    @Test("an unreachable endpoint is retried, then fails as a transport error")
    func unreachableEndpoint() async throws {
        let client = S3Fixture.client { $0.endpoint = "http://127.0.0.1:1"; $0.maxAttempts = 2 }
        let error = await #expect(throws: S3Error.self) { try await client.headObject(key: "anything") }
        #expect(error?.kind == .transport)
        #expect(error?.attempts == 2)
        #expect(error?.message.contains("127.0.0.1:1") == true)
    }

    @Test("a part failing twice is retried and the upload succeeds")
    func partRetried() async throws {
        let attempts = LockedBox<[Int: Int]>([:])
        let client = S3Fixture.client {
            $0.partSize = 5 << 20
            $0.maxAttempts = 3
            $0.partFaultInjector = { part, attempt in
                attempts.withValue { $0[part] = max($0[part] ?? 0, attempt) }
                if part == 2, attempt <= 2 { throw S3Error(kind: .transport, message: "injected failure of part 2, attempt \(attempt)") }
            }
        }
        let directory = try S3Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try S3Fixture.randomFile(in: directory, size: 12 << 20)
        let key = TestStack.uniqueName("retry") + "/session.bin"
        let result = try await client.upload(file: input, key: key)
        #expect(result.parts == 3)
        #expect(attempts.withValue { $0 } == [1: 1, 2: 3, 3: 1])
        let output = directory.appendingPathComponent("output").path
        try await client.getObject(key: key, toFile: output)
        #expect(try S3Fixture.sha256sum(output) == S3Fixture.sha256sum(input))
        try await client.deleteObject(key: key)
    }

    @Test("a permanently failing upload is aborted and leaves no multipart upload behind")
    func permanentFailureAborts() async throws {
        let client = S3Fixture.client {
            $0.partSize = 5 << 20
            $0.maxAttempts = 3
            $0.partFaultInjector = { part, attempt in
                if part == 2 { throw S3Error(kind: .transport, message: "injected failure of part 2, attempt \(attempt)") }
            }
        }
        let directory = try S3Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try S3Fixture.randomFile(in: directory, size: 11 << 20)
        let key = TestStack.uniqueName("abort") + "/session.bin"
        let error = await #expect(throws: S3Error.self) { try await client.upload(file: input, key: key) }
        #expect(error?.kind == .transport)
        #expect(error?.attempts == 3)
        let orphans = try await client.listMultipartUploads(prefix: key)
        #expect(orphans.isEmpty, "left behind: \(orphans)")
        #expect(try await client.headObject(key: key) == nil)
    }

    @Test("listMultipartUploads shows an upload in progress until it is aborted")
    func listInProgressUploads() async throws {
        let client = S3Fixture.client()
        let key = TestStack.uniqueName("pending") + "/session.bin"
        let uploadID = try await client.createMultipartUpload(key: key, contentType: "application/octet-stream", metadata: [:])
        let pending = try await client.listMultipartUploads(prefix: key)
        #expect(pending.map(\.uploadID) == [uploadID])
        #expect(pending.first?.key == key)
        try await client.abortMultipartUpload(key: key, uploadID: uploadID)
        #expect(try await client.listMultipartUploads(prefix: key).isEmpty)
    }

    @Test("a presigned GET URL works with curl and stops working after it expires")
    func presignedURL() async throws {
        let client = S3Fixture.client()
        let key = TestStack.uniqueName("presign") + "/hello world.txt"
        let body = "presigned content \(UUID())"
        try await client.putObject(key: key, bytes: Array(body.utf8), contentType: "text/plain", metadata: [:])
        // X-Amz-Date has whole seconds, so the link lives 4–5 s from here: room for a slow first fetch.
        let url = client.presignedGetURL(key: key, expires: .seconds(5))
        let fetched = try shell("curl -sf '\(url)'")
        #expect(fetched.status == 0, "curl failed: \(fetched.output)")
        #expect(fetched.output == body)
        try await Task.sleep(for: .seconds(6))
        let expired = try shell("curl -s -o /dev/null -w '%{http_code}' '\(url)'")
        #expect(expired.output == "403", "an expired URL answered \(expired.output)")
        try await client.deleteObject(key: key)
    }

    @Test("ListObjectsV2 pagination returns every object across pages")
    func listPagination() async throws {
        let client = S3Fixture.client()
        let prefix = TestStack.uniqueName("list") + "/"
        let keys = (1...7).map { "\(prefix)object-\($0)" }
        for key in keys { try await client.putObject(key: key, bytes: Array(key.utf8), contentType: "text/plain", metadata: [:]) }

        var iterator = client.listObjects(prefix: prefix, maxKeys: 3).makeAsyncIterator()
        var listed: [S3ObjectSummary] = []
        while let object = try await iterator.next() { listed.append(object) }
        #expect(listed.map(\.key) == keys)
        #expect(iterator.pagesFetched == 3)
        #expect(listed.allSatisfy { $0.size == Int64($0.key.utf8.count) && $0.etag.count == 32 && !$0.lastModified.isEmpty })

        let after = try await client.listObjects(prefix: prefix, startAfter: keys[4], maxKeys: 3).collect()
        #expect(after.map(\.key) == Array(keys[5...]))

        for key in keys { try await client.deleteObject(key: key) }
        #expect(try await client.listObjects(prefix: prefix).collect().isEmpty)
    }
}
