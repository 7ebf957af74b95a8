import Foundation
import TestSupport

/// The real `replayd` binary (built by `swift build`), started as a child process with its own
/// topic, consumer group, spool directory and port, and stopped with SIGTERM (graceful shutdown).
struct ReplaydProcess {
    let pid: Int32
    let port: Int
    let logPath: String
    let environment: [String: String]

    static var binary: String { TestStack.repositoryRoot.appendingPathComponent(".build/debug/replayd").path }

    /// Runs a `replayd` command to completion and returns its standard output.
    static func command(_ arguments: String, environment: [String: String] = [:]) throws -> String {
        let exports = environment.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        let result = try shell("env \(exports) '\(binary)' \(arguments) 2>/dev/null")
        guard result.status == 0 else {
            throw NSError(domain: "replayd", code: Int(result.status), userInfo: [NSLocalizedDescriptionKey: "replayd \(arguments): \(result.output)"])
        }
        return result.output
    }

    static func start(_ arguments: String, port: Int, environment: [String: String]) throws -> ReplaydProcess {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("replayd-e2e-\(port).log").path
        var environment = environment
        environment["REPLAYD_HTTP_PORT"] = String(port)
        let exports = environment.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        let result = try shell("env \(exports) nohup '\(binary)' \(arguments) >'\(log)' 2>&1 & echo $!")
        guard let pid = Int32(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw NSError(domain: "replayd", code: 1, userInfo: [NSLocalizedDescriptionKey: "could not start replayd: \(result.output)"])
        }
        let process = ReplaydProcess(pid: pid, port: port, logPath: log, environment: environment)
        for _ in 0..<150 {
            if (try? shell("curl -sf http://127.0.0.1:\(port)/readyz"))?.status == 0 { return process }
            usleep(200_000)
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        process.stop()
        throw NSError(domain: "replayd", code: 2, userInfo: [NSLocalizedDescriptionKey: "replayd did not become ready: \(output.suffix(3000))"])
    }

    /// SIGTERM, then waits (up to 60 s) for the graceful shutdown to finish.
    func stop() {
        kill(pid, SIGTERM)
        for _ in 0..<600 where kill(pid, 0) == 0 { usleep(100_000) }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// Small JSON-over-curl helpers (the tests talk to replayd as an outside client would).
enum HTTP {
    static func getJSON(_ url: String, token: String? = nil) throws -> (status: Int, json: Any?) {
        let auth = token.map { "-H 'Authorization: Bearer \($0)'" } ?? ""
        let result = try shell("curl -s -w '\\n%{http_code}' \(auth) '\(url)'")
        var lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.popLast() ?? "") ?? 0
        let body = lines.joined(separator: "\n")
        return (status, try? JSONSerialization.jsonObject(with: Data(body.utf8)))
    }

    static func postBatch(_ url: String, body: Data) throws -> Int {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UInt32.random(in: 0...UInt32.max)).json")
        try body.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try shell("curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @'\(file.path)' '\(url)'")
        return Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}
