import Foundation
import Glibc
import TestSupport

/// Runs shell commands that stop and start the stack's Redis.
///
/// Not `TestSupport.shell`: Foundation's `Process.waitUntilExit()` was seen to hang forever after
/// `scripts/stack up` (the bash child stayed a zombie, never reaped), so this spawns with
/// `posix_spawn` and reaps with `waitpid` on a thread of its own (never a cooperative-pool thread).
enum ServerProcess {
    /// Runs `command` with `/bin/bash -c` in the repository root; returns its exit status and output.
    static func run(_ command: String) async throws -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("replayd-redis-test-\(UInt64.random(in: 0...UInt64.max)).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let root = TestStack.repositoryRoot.path
        let script = "cd '\(root)' && { \(command) ; } </dev/null >'\(outputPath)' 2>&1"

        var pid: pid_t = 0
        let arguments = ["/bin/bash", "-c", script]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = posix_spawn(&pid, "/bin/bash", nil, nil, &argv, environ)
        guard spawned == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO)
        }
        let child = pid
        let status: Int32 = await withCheckedContinuation { continuation in
            let waiter = Thread {
                var raw: Int32 = 0
                while waitpid(child, &raw, 0) == -1 && errno == EINTR {}
                let exited = (raw & 0x7f) == 0
                continuation.resume(returning: exited ? (raw >> 8) & 0xff : 128 + (raw & 0x7f))
            }
            waiter.start()
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (status, output)
    }
}
