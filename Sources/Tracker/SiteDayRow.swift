import Foundation

/// One site's sightings on one UTC day, as kept in Postgres (`site_days`) and in the pending queue.
struct SiteDayKey: Hashable, Sendable {
    var campaign: UUID
    var site: Int
    var day: Int
}

/// A host whose site id could not be assigned yet (Postgres down), with its sightings on one day.
struct HostDayKey: Hashable, Sendable {
    var campaign: UUID
    var host: String
    var day: Int
    /// The campaign's site cap when the ping arrived (the id is assigned later, under it).
    var maxSites: Int
}

/// First and last sighting (milliseconds since 1970) and the snippet version of the last one.
struct Sighting: Sendable, Equatable {
    var first: Int64
    var last: Int64
    var version: String?

    init(at millis: Int64, version: String?) {
        first = millis
        last = millis
        self.version = version
    }

    init(first: Int64, last: Int64, version: String?) {
        self.first = first
        self.last = last
        self.version = version
    }

    /// Combines two sightings of the same site-day: the earliest first, the latest last, and the
    /// version that came with the latest ping (or any version when the latest carried none).
    mutating func merge(_ other: Sighting) {
        first = min(first, other.first)
        if other.last >= last {
            last = other.last
            version = other.version ?? version
        } else if version == nil {
            version = other.version
        }
    }
}
