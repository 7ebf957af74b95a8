import Foundation
import Testing
import TestSupport
@testable import S3

/// The S3 path cannot store wrong bytes silently: a transport that damages one byte of a request
/// body (a forwarder between the client and SeaweedFS) makes every upload kind fail loudly, and what
/// it leaves in the bucket is never taken for the file.
@Suite("S3 uploads through a corrupting transport", .serialized)
struct S3IntegrityTests {
    /// A client whose endpoint is a forwarder to SeaweedFS that flips the byte at `offset` of each
    /// connection's request stream (past the request head, inside the body).
    static func withCorruptingEndpoint(at offset: Int, _ body: (S3Client, TCPForwarder) async throws -> Void) async throws {
        let target = try #require(URL(string: TestStack.s3Endpoint))
        let port = try TCPForwarder.freePort()
        let forwarder = try TCPForwarder(port: port, targetHost: target.host ?? "127.0.0.1", targetPort: target.port ?? 80, corruptUpstreamByteAt: offset)
        defer { forwarder.stop() }
        let client = S3Fixture.client {
            $0.endpoint = "http://127.0.0.1:\(port)"
            $0.maxAttempts = 2
        }
        try await body(client, forwarder)
    }

    @Test("a single PUT whose body is damaged in transit throws and is never reported stored")
    func damagedPut() async throws {
        let directory = try S3Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try S3Fixture.randomFile(in: directory, size: 1 << 20)
        let key = TestStack.uniqueName("corrupt-put")
        try await Self.withCorruptingEndpoint(at: 300_000) { client, forwarder in
            let error = await #expect(throws: S3Error.self) { try await client.upload(file: file, key: key) }
            try #require(forwarder.corruptions > 0, "the forwarder damaged nothing: the test proves nothing")
            #expect(error?.kind == .integrity || error?.status == 400, "\(String(describing: error))")
            print("damaged PUT: \(error.map { "\($0)" } ?? "no error")")
        }
        try await Self.expectNotStoredAsTheFile(key: key, file: file)
    }

    @Test("a multipart upload with a damaged part throws, is aborted, and leaves no object")
    func damagedPart() async throws {
        let directory = try S3Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try S3Fixture.randomFile(in: directory, size: 12 << 20)
        let key = TestStack.uniqueName("corrupt-multipart")
        try await Self.withCorruptingEndpoint(at: 300_000) { client, forwarder in
            let error = await #expect(throws: S3Error.self) { try await client.upload(file: file, key: key) }
            try #require(forwarder.corruptions > 0, "the forwarder damaged nothing: the test proves nothing")
            #expect(error?.kind == .integrity || error?.status == 400, "\(String(describing: error))")
            print("damaged part: \(error.map { "\($0)" } ?? "no error")")
        }
        try await Self.expectNotStoredAsTheFile(key: key, file: file)
        let pending = try await S3Fixture.client().listMultipartUploads(prefix: key)
        #expect(pending.isEmpty, "the failed multipart upload was not aborted: \(pending)")
    }

    /// Whatever the server kept under `key` (nothing, after a refusal) is not a copy of `file` that
    /// could pass for it: either absent or with other bytes, which the client reported above.
    static func expectNotStoredAsTheFile(key: String, file: String) async throws {
        let direct = S3Fixture.client()
        guard try await direct.headObject(key: key) != nil else { return }
        let directory = try S3Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appendingPathComponent("copy").path
        try await direct.getObject(key: key, toFile: copy)
        #expect(try S3Fixture.sha256sum(copy) != S3Fixture.sha256sum(file), "the damaged upload failed, yet S3 holds the right bytes")
        try await direct.deleteObject(key: key)
    }
}
