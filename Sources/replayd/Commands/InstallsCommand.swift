import ReplaydKit
import ArgumentParser
import Database
import Foundation
import Logging
import PostgresNIO
import Redis
import Tracker

/// `replayd installs status --campaign ID [--from --to --silent-days N] [--json]`: the snippet
/// install status of a campaign, read from Redis when it is up and warm, else from PostgreSQL.
struct InstallsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "installs", abstract: "Snippet install tracking.", subcommands: [Status.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which sites have the snippet installed, daily active sites and silent sites.")
        @Option(help: "Campaign id (see `replayd campaign list`).") var campaign: String
        @Option(help: "First day of the daily counts, yyyy-mm-dd (UTC); default 29 days before --to.") var from: String?
        @Option(help: "Last day of the daily counts, yyyy-mm-dd (UTC); default today.") var to: String?
        @Option(help: "List sites that have not pinged for at least this many days.") var silentDays: Int = 7
        @Flag(help: "Print the status as JSON (the same document as GET /v1/campaigns/{id}/installs).") var json = false

        func validate() throws {
            guard UUID(uuidString: campaign) != nil else {
                throw ValidationError("--campaign \(campaign) is not a campaign id (see `replayd campaign list`)")
            }
            if let from, UTCDay(iso: from) == nil { throw ValidationError("--from must be a date like 2025-01-31") }
            if let to, UTCDay(iso: to) == nil { throw ValidationError("--to must be a date like 2025-01-31") }
            guard silentDays >= 0 else { throw ValidationError("--silent-days must not be negative") }
        }

        func run() async throws {
            let config = try ReplaydConfiguration.load()
            Observability.bootstrapLogging(logLevel: .error)
            let logger = Logger(label: "replayd.installs")
            let campaignID = UUID(uuidString: campaign)!
            let redis = RedisClient(configuration: config.redis, logger: logger)
            // No reachability check: with PostgreSQL down the status still comes from Redis.
            let postgres = PostgresClient(configuration: config.postgres.clientConfiguration, backgroundLogger: logger)
            let tracker = InstallTracker(redis: redis, postgres: postgres, configuration: config.tracker, logger: logger)
            let (fromText, toText, silentDays) = (from, to, silentDays)
            let status: InstallStatus = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await postgres.run() }
                defer { group.cancelAll() }
                let to = toText.flatMap(UTCDay.init(iso:)) ?? tracker.today
                let from = fromText.flatMap(UTCDay.init(iso:)) ?? to.adding(days: -29)
                return try await tracker.status(campaignID: campaignID, from: from, to: to, silentDays: silentDays)
            }
            await redis.close()
            if json {
                print(String(decoding: try InstallStatus.jsonEncoder().encode(status), as: UTF8.self))
            } else {
                print(Self.render(status))
            }
        }

        static func render(_ status: InstallStatus) -> String {
            let formatter = ISO8601DateFormatter()
            var lines = [
                "campaign \(status.campaignID.uuidString.lowercased())  (read from \(status.source.rawValue), today \(status.today) UTC)",
                "installed sites: \(status.installedSites)   active today: \(status.activeToday)",
            ]
            if status.sites.isEmpty {
                lines.append("no site has pinged yet: is the snippet on the pages, with this campaign's key?")
            } else {
                lines.append("")
                lines.append("SITE    ACTIVE  LAST SEEN             VERSION     HOST")
                for site in status.sites {
                    let seen = site.lastSeen.map { formatter.string(from: $0) } ?? "-"
                    lines.append(pad(String(site.siteID), 8) + pad(site.activeToday ? "yes" : "no", 8) + pad(seen, 22)
                        + pad(site.snippetVersion ?? "-", 12) + site.host)
                }
            }
            lines.append("")
            lines.append("daily active sites \(status.from) … \(status.to):")
            for day in status.daily { lines.append("  \(day.day)  \(day.activeSites)") }
            lines.append("")
            lines.append("silent for at least \(status.silentDays) days: \(status.silent.count)")
            for site in status.silent {
                lines.append("  \(site.host)  (last seen \(site.daysSinceLastSeen.map { "\($0) days ago" } ?? "never"))")
            }
            return lines.joined(separator: "\n")
        }

        private static func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
        }
    }
}
