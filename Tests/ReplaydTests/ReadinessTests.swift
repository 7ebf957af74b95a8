import Foundation
import Testing
import TestSupport

/// `/readyz` of a real `replayd collector` answers within its check deadline while PostgreSQL is
/// stopped or frozen (a readiness probe that hangs is as bad as none), names what is down, and
/// recovers.
@Suite(.serialized)
struct ReadinessTests {
    static func readyz(port: Int) throws -> (code: String, body: String, seconds: Double) {
        let start = Date()
        let result = try shell("curl -s -m 20 -w '\\n%{http_code}' http://127.0.0.1:\(port)/readyz")
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        return (String(lines.last ?? ""), lines.dropLast().joined(separator: "\n"), Date().timeIntervalSince(start))
    }

    @Test func answersWithinItsDeadlineWhilePostgresIsStopped() async throws {
        let port = try TestStack.freePort()
        let collector = try ReplaydProcess.start("collector", port: port, environment: [
            "REPLAYD_KAFKA_TOPIC": TestStack.uniqueName("readyz"), "REPLAYD_LOG_LEVEL": "error",
        ])
        defer { collector.stop() }
        #expect(try Self.readyz(port: collector.adminPort).code == "200")
        // Operational endpoints live on their own listener; the public port only says it is alive.
        let code = { (url: String) in try shell("curl -s -o /dev/null -w '%{http_code}' \(url)").output }
        #expect(try code("http://127.0.0.1:\(port)/healthz") == "200")
        #expect(try code("http://127.0.0.1:\(port)/readyz") == "404")
        #expect(try code("http://127.0.0.1:\(port)/metrics") == "404")
        #expect(try code("http://127.0.0.1:\(collector.adminPort)/metrics") == "200")
        #expect(try code("http://127.0.0.1:\(collector.adminPort)/healthz") == "200")

        let stopped = try StackFaults.stopPostgres()
        let down: (code: String, body: String, seconds: Double)
        do {
            down = try Self.readyz(port: collector.adminPort)
        } catch {
            try stopped.restart()
            throw error
        }
        try stopped.restart()
        #expect(down.code == "503", "\(down)")
        #expect(down.body.contains("postgres"), "\(down.body)")
        // The checks' deadline is 2 s; curl gives up at 20 s.
        #expect(down.seconds < 10, "/readyz took \(down.seconds) s with PostgreSQL stopped")
        try await Self.waitReady(port: collector.adminPort)

        // Frozen (SIGSTOP): connections are accepted and queries never answered, and the check's
        // query ignores cancellation; /readyz must still answer at its deadline.
        let postgres = try shell("pgrep -u postgres").output.split(separator: "\n").compactMap { Int32($0) }
        let frozenPIDs = try StackFaults.freeze(postgres, skippingExited: true)
        let frozen: (code: String, body: String, seconds: Double)
        do {
            frozen = try Self.readyz(port: collector.adminPort)
        } catch {
            StackFaults.thaw(frozenPIDs)
            throw error
        }
        StackFaults.thaw(frozenPIDs)
        #expect(frozen.code == "503", "\(frozen)")
        #expect(frozen.body.contains("postgres"), "\(frozen.body)")
        #expect(frozen.seconds < 10, "/readyz took \(frozen.seconds) s with PostgreSQL frozen")
        try await Self.waitReady(port: collector.adminPort)
    }

    static func waitReady(port: Int) async throws {
        var recovered = false
        for _ in 0..<60 where !recovered {
            recovered = try Self.readyz(port: port).code == "200"
            if !recovered { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(recovered, "/readyz did not recover within 30 s of PostgreSQL's return")
    }
}
