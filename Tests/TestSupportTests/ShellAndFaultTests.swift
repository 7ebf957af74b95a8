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
}
