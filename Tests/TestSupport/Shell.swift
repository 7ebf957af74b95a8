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
///
/// The child starts with default signal dispositions and an empty signal mask, as a command typed in
/// a terminal would: the test process ignores `SIGPIPE` once SwiftNIO opened its first socket, and
/// an ignored signal stays ignored across `exec`. Without the reset, `tail … | head -c N` made
/// `tail` print "Broken pipe" into the output instead of dying quietly, so a command's output
/// depended on which tests had run before it.
@discardableResult
public func shell(_ command: String) throws -> (status: Int32, output: String) {
    let outputPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("replayd-shell-\(UInt64.random(in: 0...UInt64.max)).log").path
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let script = "cd '\(TestStack.repositoryRoot.path)' && { \(command)\n} >'\(outputPath)' 2>&1 </dev/null"
    let pid = try spawnWithDefaultSignals(["/bin/bash", "-c", script])
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

/// The signals whose disposition a child gets back to the default (`SIGKILL` and `SIGSTOP` cannot
/// be changed, so they are not listed).
let resetSignals: [Int32] = [
    SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD,
    SIGTSTP, SIGTTIN, SIGTTOU, SIGXCPU, SIGXFSZ, SIGURG, SIGWINCH,
]

/// `posix_spawn`s `arguments[0]` with `environ`, default dispositions for ``resetSignals`` and an
/// empty signal mask; returns the child's pid.
func spawnWithDefaultSignals(_ arguments: [String]) throws -> pid_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in resetSignals { sigaddset(&defaults, signal) }
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setsigmask(&attributes, &mask)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    var cArguments = arguments.map { strdup($0) }
    cArguments.append(nil)
    defer { for pointer in cArguments { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, arguments[0], nil, &attributes, &cArguments, environ)
    guard spawned == 0 else {
        throw NSError(domain: "shell", code: Int(spawned), userInfo: [NSLocalizedDescriptionKey: "posix_spawn of \(arguments[0]) failed: \(String(cString: strerror(spawned)))"])
    }
    return pid
}
