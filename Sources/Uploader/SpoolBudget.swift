import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The spool's disk budget: the Processor stops taking records while the spool's segment files
/// reach ``SpoolConfiguration/maxBytes`` or the file system's free space falls under
/// ``SpoolConfiguration/minFreeBytes``, and takes them again once the uploader has freed room (below
/// 90 % of the budget and above 110 % of the free-space floor, so it does not flap). Measured at most
/// every ``checkInterval`` (the spool's statistics walk every live session), and sooner when the
/// bytes written since (``noteWritten(_:)``, uncompressed, so an over-estimate) could have reached
/// the budget or the floor: a burst of records between two measurements cannot run past them.
public final class SpoolBudget: Sendable {
    /// Why the spool is full, for logs and `/readyz`.
    public struct Pressure: Sendable, Equatable, CustomStringConvertible {
        public var spoolBytes: Int64
        public var freeBytes: Int64?
        public var maxBytes: Int64
        public var minFreeBytes: Int64

        public var description: String {
            let free = freeBytes.map { "\($0)" } ?? "unknown"
            return "spool holds \(spoolBytes) bytes (budget REPLAYD_SPOOL_MAX_BYTES=\(maxBytes)), \(free) bytes free on its file system (floor REPLAYD_SPOOL_MIN_FREE_BYTES=\(minFreeBytes))"
        }
    }

    struct State {
        var checkedAt: ContinuousClock.Instant?
        var pressure: Pressure?
        var spoolBytes: Int64 = 0
        var freeBytes: Int64?
        var writtenSince: Int64 = 0
    }

    let spool: Spool
    let checkInterval: Duration
    private let state = Mutex(State())

    public init(spool: Spool, checkInterval: Duration = .milliseconds(250)) {
        self.spool = spool
        self.checkInterval = checkInterval
    }

    /// Non-nil while the spool is over its budget.
    public func pressure() -> Pressure? {
        let now = ContinuousClock.now
        let configuration = spool.configuration
        if let cached = state.withLock({ state -> Pressure?? in
            guard let at = state.checkedAt, now - at < checkInterval else { return nil }
            if state.pressure == nil {
                if state.spoolBytes + state.writtenSince >= configuration.maxBytes { return nil }
                if let free = state.freeBytes, free - state.writtenSince < configuration.minFreeBytes { return nil }
            }
            return .some(state.pressure)
        }) { return cached }
        let bytes = spool.statistics.bytesOnDisk
        let free = Self.freeBytes(configuration.directory)
        return state.withLock { state in
            let wasFull = state.pressure != nil
            // Entering: at the budget or under the floor. Leaving: clearly below both; with the spool
            // empty, above the floor is enough (other data on the volume may never leave the band,
            // and nothing of the spool's is left to wait for).
            let byteLimit = wasFull ? configuration.maxBytes / 10 * 9 : configuration.maxBytes
            let freeFloor = wasFull && bytes > 0 ? configuration.minFreeBytes / 10 * 11 : configuration.minFreeBytes
            let full = bytes >= byteLimit || (free.map { $0 < freeFloor } ?? false)
            state.pressure = full ? Pressure(spoolBytes: bytes, freeBytes: free, maxBytes: configuration.maxBytes,
                                             minFreeBytes: configuration.minFreeBytes) : nil
            state.checkedAt = now
            state.spoolBytes = bytes
            state.freeBytes = free
            state.writtenSince = 0
            return state.pressure
        }
    }

    /// Counts `bytes` written to the spool since the last measurement.
    public func noteWritten(_ bytes: Int) {
        state.withLock { $0.writtenSince += Int64(bytes) }
    }

    /// Bytes available to this process on the file system holding `path`; nil when unknown.
    static func freeBytes(_ path: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }
}
