import Curl
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

/// Integration tests over real HTTP servers: the transport-test file server (`scripts/test-file-server`)
/// for round trips, SeaweedFS for its error answers.
/// Serialized: two of them measure the process's resident memory.
@Suite(.serialized)
struct CurlClientTests {
    @Test func uploadsAndDownloadsA100MiBFileRangeWithBoundedMemory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = directory.file("source.bin")
        try CurlTestSupport.randomFile(at: source, bytes: 120 << 20)
        let offset: Int64 = 7 << 20
        let length: Int64 = 100 << 20
        let url = CurlTestSupport.objectURL("range")
        let client = CurlClient()
        defer { client.shutdown() }

        // Warm up the worker (thread stack, curl buffers, connection) before measuring.
        // (A separate key: overwriting an object and reading it back at once is not what this measures.)
        let warmURL = CurlTestSupport.objectURL("warm")
        let warm = try await client.execute(CurlRequest(method: "PUT", url: warmURL, body: .bytes(Array("warm".utf8))))
        #expect(warm.status == 201)
        _ = try? await client.execute(CurlRequest(method: "DELETE", url: warmURL))

        let sent = Atomic<Int64>(0)
        releaseFreeHeapMemory()
        let before = ProcessMemory.residentBytes()
        ProcessMemory.resetPeak()
        let put = try await client.execute(
            CurlRequest(method: "PUT", url: url, body: .file(path: source, offset: offset, length: length)),
            progress: { total, _ in sent.store(total, ordering: .relaxed) }
        )
        #expect(put.status == 201, "PUT answered \(put.status): \(String(decoding: put.body, as: UTF8.self))")
        let target = directory.file("download.bin")
        let get = try await client.execute(CurlRequest(method: "GET", url: url), sink: .file(path: target))
        let growth = ProcessMemory.peakResidentBytes() - before
        print("range round trip: RSS growth \(growth >> 10) KiB")

        #expect(get.status == 200)
        #expect(get.body.isEmpty)
        #expect(get.header("content-length") == "\(length)")
        #expect(sent.load(ordering: .relaxed) == length)
        #expect(growth < 16 << 20, "resident memory grew by \(growth >> 10) KiB during a 2 × 100 MiB transfer")
        #expect(try CurlTestSupport.fileSize(target) == length)
        let expected = try CurlTestSupport.sha256(of: source, offset: offset, length: length)
        let downloaded = try CurlTestSupport.sha256(of: target)
        if downloaded != expected {
            // Tell an upload/server problem from a download problem: fetch again with the curl CLI.
            let again = directory.file("again.bin")
            _ = try shell("curl -s -o '\(again)' '\(url)'")
            let server = try CurlTestSupport.sha256(of: again)
            Issue.record("downloaded bytes differ from the range sent; the server holds \(server == expected ? "the right bytes (download path)" : "other bytes (upload path or server)")")
        }

        let delete = try await client.execute(CurlRequest(method: "DELETE", url: url))
        #expect((200..<300).contains(delete.status))
        let gone = try await client.execute(CurlRequest(method: "GET", url: url))
        #expect(gone.status == 404)
    }

    @Test func streamsALargeObjectChunkByChunkWithBoundedMemory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = directory.file("source.bin")
        let size = 48 << 20
        try CurlTestSupport.randomFile(at: source, bytes: size)
        let url = CurlTestSupport.objectURL("stream")
        let client = CurlClient(configuration: { var c = CurlClientConfiguration(); c.workers = 2; return c }())
        defer { client.shutdown() }
        let put = try await client.execute(CurlRequest(method: "PUT", url: url, body: .file(path: source, offset: 0, length: Int64(size))))
        #expect(put.status == 201)

        let local = open(source, O_RDONLY)
        defer { close(local) }
        var expected = [UInt8](repeating: 0, count: 1 << 20)
        releaseFreeHeapMemory()
        let before = ProcessMemory.residentBytes()
        ProcessMemory.resetPeak()

        let (head, body) = try await client.stream(CurlRequest(method: "GET", url: url))
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "\(size)")
        #expect(head.body.isEmpty)
        var received = 0
        var chunks = 0
        var largest = 0
        var mismatchAt: Int?
        for try await chunk in body {
            largest = max(largest, chunk.count)
            if chunk.count <= expected.count, mismatchAt == nil {
                let same = expected.withUnsafeMutableBytes { buffer in
                    pread(local, buffer.baseAddress, chunk.count, off_t(received)) == chunk.count
                        && chunk.withUnsafeBytes { memcmp(buffer.baseAddress!, $0.baseAddress!, chunk.count) == 0 }
                }
                if !same { mismatchAt = received }
            }
            received += chunk.count
            chunks += 1
            // A slow reader at first: the worker must wait instead of buffering the object.
            if chunks <= 20 { try await Task.sleep(for: .milliseconds(25)) }
        }
        let growth = ProcessMemory.peakResidentBytes() - before
        print("stream: \(chunks) chunks, largest \(largest >> 10) KiB, RSS growth \(growth >> 10) KiB")

        #expect(received == size)
        #expect(mismatchAt == nil, "stream differs from the file at byte \(mismatchAt ?? -1)")
        #expect(largest <= 1 << 20 && largest > 0)
        #expect(chunks > 40)
        #expect(growth < 16 << 20, "resident memory grew by \(growth >> 10) KiB while streaming \(size >> 20) MiB")
        _ = try await client.execute(CurlRequest(method: "DELETE", url: url))
    }

    /// A client with one worker and an 8 MiB object: a transfer left unread blocks the worker.
    static func oneWorker(_ name: String) async throws -> (CurlClient, String) {
        let url = CurlTestSupport.objectURL(name)
        var configuration = CurlClientConfiguration()
        configuration.workers = 1
        let client = CurlClient(configuration: configuration)
        let put = try await client.execute(CurlRequest(method: "PUT", url: url, body: .bytes([UInt8](repeating: 7, count: 8 << 20))))
        #expect(put.status == 201)
        return (client, url)
    }

    /// With one worker this only completes if the abandoned transfer was aborted.
    static func expectWorkerFree(_ client: CurlClient, url: String) async throws {
        var small = CurlRequest(method: "DELETE", url: url)
        small.timeout = .seconds(5)
        let delete = try await client.execute(small)
        #expect((200..<300).contains(delete.status))
    }

    @Test func droppingAStreamAbortsItsTransferAndFreesTheWorker() async throws {
        let (client, url) = try await Self.oneWorker("drop")
        defer { client.shutdown() }
        do {
            let (head, body) = try await client.stream(CurlRequest(method: "GET", url: url))
            #expect(head.status == 200)
            for try await chunk in body {
                #expect(!chunk.isEmpty)
                break  // drops the iterator and the stream with most of the body unread
            }
        }
        try await Self.expectWorkerFree(client, url: url)
    }

    @Test func aStartedStreamRunsBeforeItsHeadIsAwaited() async throws {
        let url = CurlTestSupport.objectURL("started")
        let client = CurlClient(configuration: { var c = CurlClientConfiguration(); c.workers = 1; return c }())
        defer { client.shutdown() }
        let content = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(try await client.execute(CurlRequest(method: "PUT", url: url, body: .bytes(content))).status == 201)
        let pending = client.startStream(CurlRequest(method: "GET", url: url))
        // The object is deleted before the head is awaited. The one worker takes jobs in order, so
        // the GET found it only if it was sent when started (its body fits the stream's buffer).
        #expect((200..<300).contains(try await client.execute(CurlRequest(method: "DELETE", url: url)).status))
        let head = try await pending.head()
        #expect(head.status == 200)
        var received: [UInt8] = []
        for try await chunk in pending.body { received += chunk }
        #expect(received == content)
    }

    @Test func droppingAStartedStreamUnawaitedAbortsItsTransfer() async throws {
        let (client, url) = try await Self.oneWorker("started-drop")
        defer { client.shutdown() }
        do {
            let pending = client.startStream(CurlRequest(method: "GET", url: url))
            try await Task.sleep(for: .milliseconds(100))  // the worker is now blocked on the unread body
            _ = pending
        }
        try await Self.expectWorkerFree(client, url: url)
    }

    @Test func reusesTheConnectionForSequentialRequests() async throws {
        let url = CurlTestSupport.objectURL("reuse")
        var configuration = CurlClientConfiguration()
        configuration.workers = 4
        let client = CurlClient(configuration: configuration)
        defer { client.shutdown() }
        let first = try await client.execute(CurlRequest(method: "PUT", url: url, body: .bytes(Array("hello".utf8))))
        let second = try await client.execute(CurlRequest(method: "GET", url: url))
        let third = try await client.execute(CurlRequest(method: "DELETE", url: url))
        #expect(first.status == 201)
        #expect(first.newConnections == 1)
        #expect(second.status == 200)
        #expect(second.body == Array("hello".utf8))
        #expect(second.newConnections == 0)
        #expect(third.newConnections == 0)
    }

    @Test func runsAsAServiceAndClosesAtGracefulShutdown() async throws {
        let client = CurlClient()
        let url = CurlTestSupport.objectURL("service")
        let group = ServiceGroup(configuration: .init(services: [.init(service: client)], logger: Logger(label: "curl.tests")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let put = try await client.execute(CurlRequest(method: "PUT", url: url, body: .bytes(Array("up".utf8))))
            #expect(put.status == 201)
            _ = try await client.execute(CurlRequest(method: "DELETE", url: url))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let error = await #expect(throws: CurlError.self) { _ = try await client.execute(CurlRequest(method: "GET", url: url)) }
        #expect(error?.code == "curl_client_shut_down")
        await client.close()  // idempotent
    }

    @Test func timesOutAgainstAServerThatNeverAnswers() async throws {
        let listener = try TCPListener()
        defer { listener.close() }
        let client = CurlClient()
        defer { client.shutdown() }
        var request = CurlRequest(method: "GET", url: "http://127.0.0.1:\(listener.port)/silent")
        request.timeout = .seconds(1)
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: CurlError.self) { try await client.execute(request) }
        let elapsed = clock.now - start
        #expect(error?.kind == .timeout)
        #expect(error?.curlCode == 28)
        #expect(error?.message.contains("/silent") == true)
        #expect(elapsed < .milliseconds(2500), "took \(elapsed)")
        #expect(elapsed >= .milliseconds(900))
    }

    @Test func reportsRefusedConnectionsAsConnectFailed() async throws {
        let closed = try TCPListener(listen: false)
        closed.close()
        let client = CurlClient()
        defer { client.shutdown() }
        let error = await #expect(throws: CurlError.self) {
            try await client.execute(CurlRequest(method: "GET", url: "http://127.0.0.1:\(closed.port)/"))
        }
        #expect(error?.kind == .connectFailed)
        #expect(error?.code == "curl_connect_failed")
        #expect(error?.curlMessage.isEmpty == false)
    }

    @Test func surfacesErrorStatusesWithHeadersAndBody() async throws {
        let client = CurlClient()
        defer { client.shutdown() }
        // SeaweedFS's filer: a 404 with its own headers.
        let missing = try await client.execute(CurlRequest(
            method: "GET", url: "\(TestStack.filerURL)/buckets/replayd-sessions/curl-tests/\(TestStack.uniqueName("missing"))"))
        #expect(missing.status == 404)
        #expect(missing.header("content-length") == "0")
        #expect(missing.header("X-AMZ-REQUEST-ID")?.isEmpty == false)
        #expect(missing.body.isEmpty)

        // SeaweedFS's S3 gateway answers an unsigned GET with an XML error body.
        let denied = try await client.execute(CurlRequest(method: "GET", url: "\(TestStack.s3Endpoint)/\(TestStack.s3Bucket)/\(TestStack.uniqueName("nokey"))"))
        #expect(denied.status == 403)
        #expect(denied.header("Content-Type") == "application/xml")
        #expect(denied.header("Content-Length") == "\(denied.body.count)")
        #expect(String(decoding: denied.body, as: UTF8.self).contains("<Code>AccessDenied</Code>"))
    }

    @Test func refusesToCollectMoreThanTheLimit() async throws {
        let url = CurlTestSupport.objectURL("cap")
        let client = CurlClient()
        defer { client.shutdown() }
        _ = try await client.execute(CurlRequest(method: "PUT", url: url, headers: [HTTPHeader(name: "X-Test", value: "1")], body: .bytes([UInt8](repeating: 1, count: 100_000))))
        let error = await #expect(throws: CurlError.self) {
            try await client.execute(CurlRequest(method: "GET", url: url), sink: .collect(maxBytes: 1000))
        }
        #expect(error?.code == "curl_response_too_large")
        let head = try await client.execute(CurlRequest(method: "HEAD", url: url))
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "100000")
        _ = try await client.execute(CurlRequest(method: "DELETE", url: url))
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        let listener = try TCPListener()
        defer { listener.close() }
        let client = CurlClient()
        defer { client.shutdown() }
        let clock = ContinuousClock()
        let start = clock.now
        let request = CurlRequest(method: "GET", url: "http://127.0.0.1:\(listener.port)/")
        let task = Task { try await client.execute(request) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.now - start < .seconds(3))
    }

    @Test func shutdownFailsLaterRequestsAndIsIdempotent() async throws {
        let client = CurlClient()
        client.shutdown()
        client.shutdown()
        let error = await #expect(throws: CurlError.self) {
            try await client.execute(CurlRequest(method: "GET", url: TestStack.filerURL))
        }
        #expect(error?.code == "curl_client_shut_down")
    }
}
