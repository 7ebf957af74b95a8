import Foundation
import Synchronization

/// Counts install pings per campaign in fixed one-minute windows, in process: the campaign's
/// `installPingsPerMinute` bounds what one process admits (a fleet of N processes admits up to N
/// times that; docs/security.md). Costs no round trip, so it also holds while Redis is down.
final class PingWindow: Sendable {
    struct Count {
        var minute: Int64
        var pings: Int
    }

    /// Campaigns tracked before windows of past minutes are dropped.
    private let capacity: Int
    private let counts = Mutex<[UUID: Count]>([:])

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// Admits one ping of `campaign` at `millis` (since 1970) under `limit` pings per minute;
    /// returns nil when admitted, or the seconds until the window ends when refused.
    func admit(campaign: UUID, limit: Int, millis: Int64) -> Int? {
        let minute = millis / 60_000
        return counts.withLock { counts in
            if counts.count >= capacity { counts = counts.filter { $0.value.minute == minute } }
            var count = counts[campaign].flatMap { $0.minute == minute ? $0 : nil } ?? Count(minute: minute, pings: 0)
            guard count.pings < limit else {
                return Int(((minute + 1) * 60_000 - millis + 999) / 1000)
            }
            count.pings += 1
            counts[campaign] = count
            return nil
        }
    }
}
