import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command through `/bin/bash -c` in the repository root and returns its exit status and
/// combined output. Tests use it to stop and start real services (`redis-cli shutdown`, `kill -STOP`,
/// `scripts/stack up`, ...).
///
/// Output goes to a temporary file, not a pipe: daemons started by the command (redis-server,
/// the broker) inherit the child's descriptors and would keep a pipe open forever. The child is
/// started with `posix_spawn` and reaped with `waitpid`.
@discardableResult
public func shell(_ command: String) throws -> (status: Int32, output: String) {
    let outputPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("replayd-shell-\(UInt64.random(in: 0...UInt64.max)).log").path
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let script = "cd '\(TestStack.repositoryRoot.path)' && { \(command)\n} >'\(outputPath)' 2>&1 </dev/null"
    let arguments = ["/bin/bash", "-c", script]
    var cArguments = arguments.map { strdup($0) }
    cArguments.append(nil)
    defer { for pointer in cArguments { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, "/bin/bash", nil, nil, &cArguments, environ)
    guard spawned == 0 else {
        throw NSError(domain: "shell", code: Int(spawned), userInfo: [NSLocalizedDescriptionKey: "posix_spawn failed: \(spawned)"])
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    let exitCode: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (exitCode, output)
}

/// ``shell(_:)`` on a dedicated thread, for long commands (Chromium, service restarts) in async
/// tests: the cooperative pool has as many threads as cores and must not be blocked.
public func shellAsync(_ command: String) async throws -> (status: Int32, output: String) {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try shell(command) }) }
        thread.start()
    }
}
