import Foundation

/// What the tracker keeps in process, behind one lock.
struct TrackerState {
    /// Rebuilding Redis from Postgres: everything, or the site-days from a day on.
    enum Rewarm: Equatable {
        case full
        case since(Int)

        func merged(with other: Rewarm) -> Rewarm {
            switch (self, other) {
            case (.since(let a), .since(let b)): .since(min(a, b))
            default: .full
            }
        }
    }

    /// Site-days this process recorded in Redis, with the `lastSeenResolution` interval and version
    /// of that sighting: a ping in the same interval with nothing new needs no round trip.
    var recent: [SiteDayKey: (interval: Int64, version: String?)] = [:]
    /// Sightings waiting for the background writer.
    var pending: [SiteDayKey: Sighting] = [:]
    /// Sightings taken from `pending` by a writer and not yet confirmed by Postgres.
    var writing = 0
    /// Sightings of hosts without a site id yet (Postgres was down when they first pinged).
    var held: [HostDayKey: Sighting] = [:]
    /// Set while Redis is considered down: when to try it again.
    var redisRetryAt: ContinuousClock.Instant?
    var rewarmNeeded: Rewarm?
    var rewarming = false
    /// Pings being written straight to Postgres (a rewarm waits for them).
    var fallbacksInFlight = 0
    var postgresFailing = false
    /// Set after the ping path found Postgres down: until then new hosts are held without asking it.
    var postgresRetryAt: ContinuousClock.Instant?

    mutating func requestRewarm(_ need: Rewarm) {
        rewarmNeeded = rewarmNeeded.map { $0.merged(with: need) } ?? need
    }
}
