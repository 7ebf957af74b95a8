import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The helpers every integration test relies on: commands see a normal signal environment whatever
/// the test process did to its own, and a fault that did not happen fails at once.
@Suite(.serialized)
struct ShellAndFaultTests {
    @Test func commandsStartWithDefaultSignalsWhenTheTestProcessIgnoresSIGPIPE() throws {
        // As SwiftNIO leaves the process after its first socket.
        signal(SIGPIPE, SIG_IGN)
        let ignored = try shell("grep '^SigIgn:' /proc/self/status")
        let mask = UInt64(ignored.output.split(separator: "\t").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "", radix: 16)
        let sigpipe: UInt64 = 1 << (UInt64(SIGPIPE) - 1)
        #expect(mask.map { $0 & sigpipe == 0 } == true, "a child ignores SIGPIPE: \(ignored.output)")

        // The command that made a correct upload look corrupted: tail must die quietly.
        let piped = try shell("head -c 4000000 /dev/zero > /tmp/replayd-sigpipe-probe && tail -c +2 /tmp/replayd-sigpipe-probe | head -c 10 | wc -c; rm -f /tmp/replayd-sigpipe-probe")
        #expect(piped.output == "10\n", "output: \(piped.output.debugDescription)")
    }

    @Test func stoppingAServiceThatIsNotThereFailsAtOnce() throws {
        let nothing = try TestStack.freePort()
        let postgres = #expect(throws: TestFailure.self) { try StackFaults.stopPostgres(port: nothing) }
        #expect(postgres?.description.hasPrefix("could not stop PostgreSQL") == true, "\(postgres?.description ?? "")")
        let redis = #expect(throws: TestFailure.self) { try StackFaults.stopRedis(port: nothing) }
        #expect(redis?.description.hasPrefix("could not stop Redis") == true, "\(redis?.description ?? "")")
    }

    @Test func freezingAProcessChecksItStopped() throws {
        let gone = #expect(throws: TestFailure.self) { try StackFaults.freeze([Int32.max - 1]) }
        #expect(gone?.description.contains("could not freeze") == true)

        let sleeper = try shell("sleep 30 >/dev/null 2>&1 & echo $!")
        let pid = try #require(Int32(sleeper.output.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }
        try StackFaults.freeze([pid])
        let state = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        #expect(state.contains(") T "), "\(state)")
        StackFaults.thaw([pid])
    }

    /// A restarted PostgreSQL is the one that was stopped (same data directory, same tables), even
    /// when this process's REPLAYD_STACK_DIR names another stack: before, `scripts/stack up` then
    /// initialised a new, empty cluster there and the tests after it found no tables.
    @Test func postgresRestartsFromItsOwnDataDirectoryWhateverTheEnvironmentSays() throws {
        let query = "psql -h 127.0.0.1 -p \(TestStack.postgresPort) -U postgres -d postgres -tAc 'SHOW data_directory'"
        let before = try shell(query).output.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(before.hasPrefix("/"), "PostgreSQL is not running: \(before)")
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.uniqueName("other-stack")).path
        let previous = ProcessInfo.processInfo.environment["REPLAYD_STACK_DIR"]
        setenv("REPLAYD_STACK_DIR", elsewhere, 1)
        defer {
            if let previous { setenv("REPLAYD_STACK_DIR", previous, 1) } else { unsetenv("REPLAYD_STACK_DIR") }
            try? FileManager.default.removeItem(atPath: elsewhere)
        }
        let stopped = try StackFaults.stopPostgres()
        #expect(stopped.dataDirectory == before)
        try stopped.restart()
        let after = try shell(query).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(after == before, "PostgreSQL came back from \(after), not \(before)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere + "/data/pg"), "a new cluster was initialised under \(elsewhere)")
    }
}
