import Core
import Foundation
import Hummingbird
import Prometheus

/// `GET /healthz` (the process serves requests), `GET /readyz` (every dependency answers, each
/// reported by name, with the error text) and `GET /metrics` (Prometheus text format), served on the
/// operational listener (`REPLAYD_ADMIN_HTTP_HOST:REPLAYD_ADMIN_HTTP_PORT`). The public listener only
/// answers `/healthz` (``registerPublic(on:)``).
struct OperationalRoutes: Sendable {
    let checks: [ReadinessCheck]
    let registry: PrometheusCollectorRegistry
    var checkTimeout: Duration = .seconds(2)

    /// `/healthz` only: what load balancers probe on the public port.
    static func registerPublic<Context: RequestContext>(on router: Router<Context>) {
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
    }

    func register<Context: RequestContext>(on router: Router<Context>) {
        Self.registerPublic(on: router)
        router.get("/readyz") { _, _ in
            let results = await runChecks()
            let ready = results.allSatisfy { $0.error == nil }
            var fields: [String] = []
            for result in results {
                let status = result.error.map { "\"error\":\(JSONText.quoted($0))" } ?? "\"status\":\"ok\""
                fields.append("\(JSONText.quoted(result.name)):{\(status)}")
            }
            let body = "{\"ready\":\(ready),\"checks\":{\(fields.joined(separator: ","))}}\n"
            return Response(status: ready ? .ok : .serviceUnavailable,
                            headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/metrics") { _, _ in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 << 10)
            registry.emit(into: &bytes)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    private func runChecks() async -> [(name: String, error: String?)] {
        await withTaskGroup(of: (Int, String?).self) { group in
            for (index, check) in checks.enumerated() {
                let timeout = checkTimeout
                group.addTask {
                    do {
                        try await withTimeout(timeout) { try await check.check() }
                        return (index, nil)
                    } catch {
                        return (index, "\(error)")
                    }
                }
            }
            var errors = [String?](repeating: nil, count: checks.count)
            for await (index, error) in group { errors[index] = error }
            return checks.enumerated().map { ($0.element.name, errors[$0.offset]) }
        }
    }
}

/// Runs `body`, failing with a ``TimeoutError`` if it takes longer than `timeout` (the caller gets
/// its answer at the deadline even when `body` ignores cancellation, as a query to a stopped
/// PostgreSQL does).
func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withDeadline(timeout, timeoutError: { TimeoutError(timeout: timeout) }, body)
}

struct TimeoutError: Error, CustomStringConvertible {
    let timeout: Duration
    var description: String { "no answer within \(timeout)" }
}
