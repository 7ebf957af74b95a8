import Foundation
import Synchronization

/// Paces bytes to a fixed rate shared by every caller (test helper for ``TCPForwarder``): each call
/// books its bytes right after the previously booked ones and returns how long to wait until they
/// may go, so all connections together stay at `bytesPerSecond`.
public final class BytePacer: Sendable {
    public let bytesPerSecond: Int
    private let nextFree = Mutex<ContinuousClock.Instant?>(nil)

    public init(bytesPerSecond: Int) {
        precondition(bytesPerSecond > 0)
        self.bytesPerSecond = bytesPerSecond
    }

    /// Books `bytes` and returns the wait before sending them (zero when the line is idle).
    public func book(_ bytes: Int) -> Duration {
        let now = ContinuousClock.now
        let transmission = Duration.nanoseconds(Int64(Double(bytes) / Double(bytesPerSecond) * 1e9))
        return nextFree.withLock { nextFree in
            let end = max(nextFree ?? now, now) + transmission
            nextFree = end
            return end - now
        }
    }

    /// Blocks the calling (dedicated) thread until `bytes` may be sent.
    public func wait(for bytes: Int) {
        let delay = book(bytes).components
        let microseconds = delay.seconds * 1_000_000 + delay.attoseconds / 1_000_000_000_000
        if microseconds > 0 { usleep(UInt32(min(microseconds, Int64(UInt32.max)))) }
    }
}
