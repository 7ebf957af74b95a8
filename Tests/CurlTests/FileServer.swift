import Foundation
import TestSupport

/// `scripts/test-file-server`, started once per test process on a free port; it exits by itself.
enum FileServer {
    static let baseURL: String = {
        let port = (try? TestStack.freePort()) ?? 27_999
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replayd-file-server-\(port)").path
        _ = try? shell("nohup scripts/test-file-server \(port) '\(directory)' 900 >/dev/null 2>&1 &")
        for _ in 0..<100 {
            if (try? shell("curl -s -o /dev/null http://127.0.0.1:\(port)/"))?.status == 0 { break }
            usleep(50_000)
        }
        return "http://127.0.0.1:\(port)"
    }()
}
