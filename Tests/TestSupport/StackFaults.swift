import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Faults that tests inject into the shared stack. Each one checks that it happened and throws at
/// once when it did not, so a test never goes on to assert on counts taken with the service still up
/// (as a Tracker test once did when the stack ran from another checkout and `pg_ctl` pointed at this
/// checkout's empty data directory).
public enum StackFaults {
    /// A PostgreSQL server stopped by ``stopPostgres()``; ``restart()`` starts it again from the same
    /// data directory, with the `scripts/stack` of the checkout that owns it.
    public struct StoppedPostgres: Sendable {
        public let dataDirectory: String
        /// The checkout whose `.stack` holds the data directory.
        public var checkout: String {
            dataDirectory.hasSuffix(Self.stackSuffix) ? String(dataDirectory.dropLast(Self.stackSuffix.count)) : TestStack.repositoryRoot.path
        }
        static let stackSuffix = "/.stack/data/pg/data"

        /// `scripts/stack up` of the owning checkout (starts whatever is down); throws when it fails.
        /// The `.stack` directory that holds the data directory (`REPLAYD_STACK_DIR` of whoever started it).
        public var stackDirectory: String? {
            dataDirectory.hasSuffix(Self.dataSuffix) ? String(dataDirectory.dropLast(Self.dataSuffix.count)) : nil
        }
        static let dataSuffix = "/data/pg/data"

        public func restart() throws {
            // The stack directory of the stopped server, whatever REPLAYD_STACK_DIR this process has:
            // another one would initialise a new, empty cluster there.
            try StackFaults.stackUp(checkout: checkout, stackDirectory: stackDirectory)
            guard StackFaults.portOpen(TestStack.postgresPort) else {
                throw TestFailure("PostgreSQL did not come back on port \(TestStack.postgresPort) after \(checkout)/scripts/stack up")
            }
        }
    }

    /// Stops the stack's PostgreSQL (`pg_ctl stop -m fast`, with the data directory the server itself
    /// reports, so it works whichever checkout started it) and checks its port is closed.
    @discardableResult
    public static func stopPostgres(port: Int = TestStack.postgresPort) throws -> StoppedPostgres {
        let query = try shell("psql -h 127.0.0.1 -p \(port) -U postgres -d postgres -tAc 'SHOW data_directory'")
        let dataDirectory = query.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard query.status == 0, dataDirectory.hasPrefix("/") else {
            throw TestFailure("could not stop PostgreSQL: asking the server on port \(port) for its data directory failed (\(query.status)): \(query.output)")
        }
        let binary = try postgresBinaryDirectory()
        let stop = try shell("su postgres -c \"\(binary)/pg_ctl -D '\(dataDirectory)' -m fast -w stop\"")
        guard stop.status == 0, waitUntil(seconds: 10, { !portOpen(port) }) else {
            throw TestFailure("could not stop PostgreSQL (data directory \(dataDirectory), pg_ctl exit \(stop.status)): \(stop.output); port \(port) is \(portOpen(port) ? "still open" : "closed")")
        }
        return StoppedPostgres(dataDirectory: dataDirectory)
    }

    /// Shuts the stack's Redis down without saving and checks its port is closed.
    public static func stopRedis(port: Int = TestStack.redisPort) throws {
        let shutdown = try shell("redis-cli -p \(port) shutdown nosave")
        guard shutdown.output.isEmpty || !shutdown.output.contains("Connection refused") else {
            throw TestFailure("could not stop Redis: nothing answers on port \(port) (\(shutdown.output.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        guard waitUntil(seconds: 10, { !portOpen(port) }) else {
            throw TestFailure("could not stop Redis: port \(port) still accepts connections after SHUTDOWN NOSAVE")
        }
    }

    /// Stops (`SIGSTOP`) the given processes and checks each is in the stopped state. With
    /// `skippingExited`, processes that exited meanwhile (short-lived server backends) are left out,
    /// but at least one must be frozen.
    @discardableResult
    public static func freeze(_ pids: [Int32], skippingExited: Bool = false) throws -> [Int32] {
        guard !pids.isEmpty else { throw TestFailure("nothing to freeze: no process ids given") }
        var frozen: [Int32] = []
        for pid in pids {
            if kill(pid, SIGSTOP) == 0 {
                frozen.append(pid)
            } else if !(skippingExited && errno == ESRCH) {
                let reason = String(cString: strerror(errno))
                thaw(frozen)
                throw TestFailure("could not freeze process \(pid): \(reason)")
            }
        }
        guard !frozen.isEmpty else { throw TestFailure("could not freeze any of processes \(pids): all exited") }
        for pid in frozen {
            guard waitUntil(seconds: 5, { processState(pid) == "T" || (skippingExited && processState(pid) == nil) }) else {
                thaw(frozen)
                throw TestFailure("process \(pid) did not stop after SIGSTOP (state \(processState(pid) ?? "gone"))")
            }
        }
        return frozen
    }

    /// Resumes (`SIGCONT`) processes stopped by ``freeze(_:)``.
    public static func thaw(_ pids: [Int32]) {
        for pid in pids { kill(pid, SIGCONT) }
    }

    /// `scripts/stack up` of `checkout` (default: this one); throws with its output when it fails.
    /// `stackDirectory` is the `REPLAYD_STACK_DIR` to use (default: the checkout's own `.stack`, not
    /// whatever this process was given).
    public static func stackUp(checkout: String = TestStack.repositoryRoot.path, stackDirectory: String? = nil) throws {
        let result = try shell("REPLAYD_STACK_DIR='\(stackDirectory ?? checkout + "/.stack")' '\(checkout)/scripts/stack' up")
        guard result.status == 0 else {
            throw TestFailure("\(checkout)/scripts/stack up failed (\(result.status)): \(result.output)")
        }
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func portOpen(_ port: Int) -> Bool {
        TestStack.withLoopbackSocket(port) { fd, address, length in connect(fd, address, length) == 0 }
    }

    /// The one-letter state from `/proc/PID/stat` (`R`, `S`, `T`, ...), nil when the process is gone.
    static func processState(_ pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ").first.map(String.init)
    }

    static func postgresBinaryDirectory() throws -> String {
        let found = try shell("ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1")
        let directory = found.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard found.status == 0, !directory.isEmpty else {
            throw TestFailure("could not stop PostgreSQL: no /usr/lib/postgresql/*/bin (is the postgresql package installed? run scripts/setup)")
        }
        return directory
    }

    static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }
}
