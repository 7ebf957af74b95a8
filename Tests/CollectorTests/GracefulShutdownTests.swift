import Collector
import HTTPSupport
import Core
import Curl
import Database
import Foundation
import Hummingbird
import Kafka
import Logging
import NIOCore
import ServiceLifecycle
import TestSupport
import Testing

/// Slows every batch down so one is still in flight when shutdown starts; `entered` opens as a
/// batch arrives.
struct DelayMiddleware<Context: RequestContext>: RouterMiddleware {
    let entered: PageGate
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path == "/v1/batch" else { return try await next(request, context) }
        entered.release()
        try await Task.sleep(for: .milliseconds(800))
        return try await next(request, context)
    }
}

@Suite("Collector graceful shutdown", .serialized)
struct GracefulShutdownTests {
    @Test("shutdown stops accepting, finishes the request in flight and flushes the producer")
    func drainsInFlightRequests() async throws {
        try await CollectorHarness.run { harness in
            let campaign = try await harness.campaign()
            let port = try TestStack.freePort()
            let router = Router(context: IngestRequestContext.self)
            let entered = PageGate()
            router.add(middleware: DelayMiddleware(entered: entered))
            harness.routes().register(on: router)
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                                  logger: harness.logger)
            let group = ServiceGroup(configuration: .init(services: [.init(service: app)], logger: harness.logger))
            let curl = CurlClient()
            defer { curl.shutdown() }
            let body = Array(Fixtures.batch(key: campaign.publicKey, session: "drain", seq: 0).readableBytesView)
            let request = CurlRequest(method: "POST", url: "http://127.0.0.1:\(port)/v1/batch",
                                      headers: [HTTPHeader(name: "Content-Type", value: "application/json")], body: .bytes(body))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                // wait until the server listens
                var up = false
                for _ in 0..<50 where !up {
                    up = (try? await curl.execute(CurlRequest(method: "GET", url: "http://127.0.0.1:\(port)/snippet.js"))) != nil
                    if !up { try await Task.sleep(for: .milliseconds(100)) }
                }
                try #require(up)
                async let inFlight = curl.execute(request)
                try #require(try await entered.wait(limit: .seconds(10)), "the batch never reached the server")
                await group.triggerGracefulShutdown()
                let response = try await inFlight
                #expect(response.status == 202, "the request in flight completes: \(String(decoding: response.body, as: UTF8.self))")
                try await tasks.waitForAll()
                // After shutdown nothing listens.
                await #expect(throws: CurlError.self) {
                    var probe = CurlRequest(method: "GET", url: "http://127.0.0.1:\(port)/healthz")
                    probe.timeout = .seconds(2)
                    _ = try await curl.execute(probe)
                }
            }
            // The producer flushes at shutdown (the harness shuts it down after the app): the batch is on Kafka.
            await harness.producer.shutdown()
            let records = try await harness.records(expected: 1)
            #expect(records.count == 1)
        }
    }
}
