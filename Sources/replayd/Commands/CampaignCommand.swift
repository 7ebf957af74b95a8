import ReplaydKit
import ArgumentParser
import Core
import Database
import Foundation
import Logging
import PostgresNIO

/// `replayd campaign create|list|pause|resume|update`: campaigns live in Postgres; Collectors see a
/// change within their cache TTL (REPLAYD_CAMPAIGN_CACHE_TTL, default 30 s).
struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign", abstract: "Create and manage campaigns (public keys, origins, limits).",
        subcommands: [Create.self, List.self, Pause.self, Resume.self, Update.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a campaign and print its id and public key.")
        @Option(help: "A name for people.") var name: String
        @Option(name: .customLong("origin"), help: "An allowed origin (repeatable): https://shop.example.com, https://*.example.com, or * for any.")
        var origins: [String] = []
        @Option(help: "New sessions admitted per hour.") var sessionsPerHour: Int = 10_000
        @Option(help: "Events accepted per second (burst).") var eventsPerSecond: Int = 2_000
        @Option(help: "Install pings accepted per minute, over all sites.") var installPingsPerMinute = Campaign.defaultInstallPingsPerMinute
        @Option(help: "Sites (hosts) the install tracker records; pings from further hosts get 403 site_limit_reached.")
        var maxSites = Campaign.defaultMaxSites
        @Flag(help: "Print {\"id\":…,\"key\":…} for scripts.") var json = false

        func validate() throws {
            try CampaignCommand.validate(origins: origins, limits: [sessionsPerHour, eventsPerSecond, installPingsPerMinute, maxSites])
        }

        func run() async throws {
            var new = CampaignStore.NewCampaign(name: name, allowedOrigins: origins)
            new.sessionsPerHour = sessionsPerHour
            new.eventsPerSecond = eventsPerSecond
            new.installPingsPerMinute = installPingsPerMinute
            new.maxSites = maxSites
            let request = new
            let campaign = try await CampaignCommand.withStore { try await $0.create(request) }
            if json {
                print("{\"id\":\"\(campaign.id.uuidString.lowercased())\",\"key\":\"\(campaign.publicKey)\"}")
            } else {
                print("created campaign \(campaign.name)\n  id   \(campaign.id.uuidString.lowercased())\n  key  \(campaign.publicKey)")
                if origins.isEmpty {
                    print("  note: no --origin given; browsers can send only after `replayd campaign update \(campaign.id.uuidString.lowercased()) --origin https://…`")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List campaigns.")
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let campaigns = try await CampaignCommand.withStore { try await $0.list() }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(campaigns), as: UTF8.self))
                return
            }
            for c in campaigns {
                print("\(c.id.uuidString.lowercased())  \(c.publicKey)  \(c.paused ? "paused " : "active ") sessions/h=\(c.sessionsPerHour) events/s=\(c.eventsPerSecond) pings/min=\(c.installPingsPerMinute) max-sites=\(c.maxSites)  \(c.name)  origins=\(c.allowedOrigins.joined(separator: ","))")
            }
            if campaigns.isEmpty { print("no campaigns yet: replayd campaign create --name … --origin https://…") }
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop accepting batches for a campaign.")
        @Argument(help: "Campaign id.") var id: String
        func run() async throws { try await CampaignCommand.update(id, paused: true) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept batches for a paused campaign again.")
        @Argument(help: "Campaign id.") var id: String
        func run() async throws { try await CampaignCommand.update(id, paused: false) }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a campaign's name, origins or limits.")
        @Argument(help: "Campaign id.") var id: String
        @Option var name: String?
        @Option(name: .customLong("origin"), help: "Replaces the allowed origins (repeatable).") var origins: [String] = []
        @Option var sessionsPerHour: Int?
        @Option var eventsPerSecond: Int?
        @Option var installPingsPerMinute: Int?
        @Option var maxSites: Int?

        func validate() throws {
            try CampaignCommand.validate(origins: origins, limits: [sessionsPerHour, eventsPerSecond, installPingsPerMinute, maxSites].compactMap { $0 })
        }

        func run() async throws {
            try await CampaignCommand.update(id, name: name, origins: origins.isEmpty ? nil : origins,
                                             sessionsPerHour: sessionsPerHour, eventsPerSecond: eventsPerSecond,
                                             installPingsPerMinute: installPingsPerMinute, maxSites: maxSites)
        }
    }

    static func validate(origins: [String], limits: [Int]) throws {
        for origin in origins {
            if let problem = OriginPolicy.problem(with: origin) { throw ValidationError("--origin: \(problem)") }
        }
        guard limits.allSatisfy({ $0 >= 0 }) else { throw ValidationError("limits must not be negative") }
    }

    static func update(_ id: String, name: String? = nil, origins: [String]? = nil, sessionsPerHour: Int? = nil,
                       eventsPerSecond: Int? = nil, installPingsPerMinute: Int? = nil, maxSites: Int? = nil,
                       paused: Bool? = nil) async throws {
        guard let uuid = UUID(uuidString: id) else {
            throw ValidationError("\(id) is not a campaign id (see `replayd campaign list`)")
        }
        let updated = try await withStore {
            try await $0.update(id: uuid, name: name, allowedOrigins: origins, sessionsPerHour: sessionsPerHour,
                                eventsPerSecond: eventsPerSecond, installPingsPerMinute: installPingsPerMinute,
                                maxSites: maxSites, paused: paused)
        }
        guard let campaign = updated else { throw ValidationError("no campaign has id \(id) (see `replayd campaign list`)") }
        print("\(campaign.id.uuidString.lowercased())  \(campaign.paused ? "paused" : "active")  sessions/h=\(campaign.sessionsPerHour) events/s=\(campaign.eventsPerSecond) pings/min=\(campaign.installPingsPerMinute) max-sites=\(campaign.maxSites)  origins=\(campaign.allowedOrigins.joined(separator: ","))")
    }

    static func withStore<T: Sendable>(_ body: @Sendable (CampaignStore) async throws -> T) async throws -> T {
        let config = try ReplaydConfiguration.load()
        Observability.bootstrapLogging(logLevel: .warning)
        let logger = Logger(label: "replayd.campaign")
        return try await PostgresClient.withClient(config.postgres, logger: logger) { client in
            try await body(CampaignStore(client: client, logger: logger))
        }
    }
}
