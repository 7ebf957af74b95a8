import Foundation

/// The real `replayd` binary (built by `swift build`), started as a child process with its own
/// topic, consumer group, spool directory and port, and stopped with SIGTERM (graceful shutdown).
public struct ReplaydProcess: Sendable {
    public let pid: Int32
    public let port: Int
    /// The operational listener (`/metrics`, `/readyz`): a free port of its own.
    public let adminPort: Int
    public let logPath: String
    public let environment: [String: String]

    public static var binary: String { TestStack.repositoryRoot.appendingPathComponent(".build/debug/replayd").path }

    /// Runs a `replayd` command to completion and returns its standard output.
    public static func command(_ arguments: String, environment: [String: String] = [:]) throws -> String {
        let exports = environment.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        let result = try shell("env \(exports) '\(binary)' \(arguments) 2>/dev/null")
        guard result.status == 0 else {
            throw NSError(domain: "replayd", code: Int(result.status), userInfo: [NSLocalizedDescriptionKey: "replayd \(arguments): \(result.output)"])
        }
        return result.output
    }

    public static func start(_ arguments: String, port: Int, environment: [String: String]) throws -> ReplaydProcess {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("replayd-e2e-\(port).log").path
        var environment = environment
        environment["REPLAYD_HTTP_PORT"] = String(port)
        let adminPort = try environment["REPLAYD_ADMIN_HTTP_PORT"].flatMap { Int($0) } ?? TestStack.freePort()
        environment["REPLAYD_ADMIN_HTTP_PORT"] = String(adminPort)
        let exports = environment.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        let result = try shell("env \(exports) nohup '\(binary)' \(arguments) >'\(log)' 2>&1 & echo $!")
        guard let pid = Int32(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw NSError(domain: "replayd", code: 1, userInfo: [NSLocalizedDescriptionKey: "could not start replayd: \(result.output)"])
        }
        let process = ReplaydProcess(pid: pid, port: port, adminPort: adminPort, logPath: log, environment: environment)
        // A cold start on a loaded 2-core machine (debug build, recovering a spool) can take a while.
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if (try? shell("curl -sf http://127.0.0.1:\(adminPort)/readyz"))?.status == 0 { return process }
            guard alive(pid) else { break }
            usleep(200_000)
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        process.stop()
        throw NSError(domain: "replayd", code: 2, userInfo: [NSLocalizedDescriptionKey: "replayd did not become ready: \(output.suffix(3000))"])
    }

    /// `kill -9`: no shutdown, no flush, no commit, no leaving the group.
    public func crash() {
        kill(pid, SIGKILL)
        for _ in 0..<100 where Self.alive(pid) { usleep(50_000) }
    }

    /// SIGTERM, then waits (up to 60 s) for the graceful shutdown to finish.
    public func stop() {
        kill(pid, SIGTERM)
        for _ in 0..<600 where Self.alive(pid) { usleep(100_000) }
        if Self.alive(pid) { kill(pid, SIGKILL) }
    }

    /// Running (not exited, not a zombie waiting to be reaped by whoever adopted it).
    static func alive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// Small JSON-over-curl helpers (the tests talk to replayd as an outside client would).
public enum HTTP {
    public static func getJSON(_ url: String, token: String? = nil) throws -> (status: Int, json: Any?) {
        let response = try getWithHeaders(url, token: token)
        return (response.status, response.json)
    }

    /// A GET with the response's headers (names in lower case).
    public static func getWithHeaders(_ url: String, token: String? = nil) throws -> (status: Int, headers: [String: String], json: Any?) {
        let auth = token.map { "-H 'Authorization: Bearer \($0)'" } ?? ""
        let headerFile = FileManager.default.temporaryDirectory.appendingPathComponent("headers-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: headerFile) }
        let result = try shell("curl -s -D '\(headerFile)' -w '\\n%{http_code}' \(auth) '\(url)'")
        var lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.popLast() ?? "") ?? 0
        let body = lines.joined(separator: "\n")
        var headers: [String: String] = [:]
        for line in (try? String(contentsOfFile: headerFile, encoding: .utf8))?.split(separator: "\r\n") ?? [] {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers, try? JSONSerialization.jsonObject(with: Data(body.utf8)))
    }

    public static func postBatch(_ url: String, body: Data) throws -> Int {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UInt32.random(in: 0...UInt32.max)).json")
        try body.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try shell("curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @'\(file.path)' '\(url)'")
        return Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}
