import Core
import Foundation

/// A campaign's install status, as answered by `GET /v1/campaigns/{id}/installs` and
/// `replayd installs status`.
public struct InstallStatus: Sendable, Codable, Equatable {
    /// Which store answered.
    public enum Source: String, Sendable, Codable { case redis, postgres }

    /// One site (a host that has pinged at least once).
    public struct Site: Sendable, Codable, Equatable {
        public var siteID: Int
        public var host: String
        /// The site has pinged at least once (every listed site has).
        public var installed: Bool
        /// The site pinged today (UTC).
        public var activeToday: Bool
        public var lastSeen: Date?
        public var snippetVersion: String?
        /// Whole UTC days between the last ping's day and today.
        public var daysSinceLastSeen: Int?
    }

    /// Sites that pinged on one UTC day.
    public struct Day: Sendable, Codable, Equatable {
        public var day: UTCDay
        public var activeSites: Int
    }

    @LowercasedUUID public var campaignID: UUID
    public var source: Source
    public var today: UTCDay
    public var from: UTCDay
    public var to: UTCDay
    public var silentDays: Int
    public var installedSites: Int
    public var activeToday: Int
    /// Every site that has ever pinged, by site id.
    public var sites: [Site]
    /// One entry per day from `from` to `to`.
    public var daily: [Day]
    /// Installed sites that have not pinged for at least `silentDays` days.
    public var silent: [Site]

    init(campaignID: UUID, source: Source, today: UTCDay, from: UTCDay, to: UTCDay, silentDays: Int, sites: [Site],
         daily: [Day]) {
        self.campaignID = campaignID
        self.source = source
        self.today = today
        self.from = from
        self.to = to
        self.silentDays = silentDays
        self.sites = sites.sorted { $0.siteID < $1.siteID }
        self.daily = daily
        self.installedSites = sites.count
        self.activeToday = sites.count { $0.activeToday }
        self.silent = self.sites.filter { ($0.daysSinceLastSeen ?? Int.max) >= silentDays }
    }

    /// The same status with `source` ignored, for comparing the two stores' answers.
    public func sameContent(as other: InstallStatus) -> Bool {
        var other = other
        other.source = source
        return self == other
    }

    /// A JSON encoder for statuses: dates as ISO 8601 with milliseconds, keys sorted.
    public static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            var container = encoder.singleValueContainer()
            try container.encode(formatter.string(from: date))
        }
        return encoder
    }

    /// The decoder matching ``jsonEncoder()``.
    public static func jsonDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            guard let date = formatter.date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad date \(text)"))
            }
            return date
        }
        return decoder
    }
}
