import Core
import Database
import Foundation
import Logging
import PostgresNIO
import Redis
import Synchronization
import StackTestSupport
import TestSupport
import Testing
@testable import Tracker

final class CreatedCampaigns: Sendable {
    let ids = Mutex<[UUID]>([])
}

/// The real stack for tracker tests: Postgres (migrated) and Redis, with unique campaigns per test.
struct TrackerHarness: Sendable {
    let postgres: PostgresClient
    let redis: RedisClient
    let store: CampaignStore
    let logger: Logger
    /// Campaigns this run created: their sites and site-days are deleted afterwards, so the shared
    /// dev database (and every full rewarm over it) does not grow with each test run.
    let created = CreatedCampaigns()

    static func run(_ body: @Sendable (TrackerHarness) async throws -> Void) async throws {
        let logger = Logger(label: "test.tracker")
        let redis = StackFixtures.redisClient(logger: logger)
        defer { redis.shutdown() }
        try await StackFixtures.withMigratedDatabase(logger: logger) { postgres in
            let harness = TrackerHarness(postgres: postgres, redis: redis, store: CampaignStore(client: postgres, logger: logger), logger: logger)
            let outcome: Result<Void, any Error>
            do { try await body(harness); outcome = .success(()) } catch { outcome = .failure(error) }
            await harness.deleteSightings()
            try outcome.get()
        }
    }

    /// A campaign whose ping limit and site cap are far above what a test sends (tests of those limits
    /// set them themselves).
    func campaign(origins: [String] = ["https://shop.example.com", "https://*.example.org"]) async throws -> Campaign {
        var new = CampaignStore.NewCampaign(name: TestStack.uniqueName("tracker"), allowedOrigins: origins)
        new.installPingsPerMinute = 10_000_000
        new.maxSites = 1_000_000
        let campaign = try await store.create(new)
        created.ids.withLock { $0.append(campaign.id) }
        return campaign
    }

    /// Best effort (a test that stopped Postgres may leave it down for a moment).
    func deleteSightings() async {
        let ids = created.ids.withLock { $0 }
        guard !ids.isEmpty else { return }
        do {
            try await postgres.query("DELETE FROM site_days WHERE campaign_id = ANY(\(ids))", logger: logger)
            try await postgres.query("DELETE FROM sites WHERE campaign_id = ANY(\(ids))", logger: logger)
        } catch {
            logger.warning("could not delete the test campaigns' sightings", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    func tracker(clock: TestClock, configure: (inout TrackerConfiguration) -> Void = { _ in }) -> InstallTracker {
        var configuration = TrackerConfiguration()
        configuration.lastSeenResolution = .zero
        configuration.flushInterval = .milliseconds(100)
        configuration.redisRetryInterval = .milliseconds(200)
        configuration.postgresTimeout = .seconds(1)
        configure(&configuration)
        return InstallTracker(redis: redis, postgres: postgres, configuration: configuration, logger: logger,
                              clock: { clock.now })
    }

    /// Runs the tracker's background service for the duration of `body`.
    func running<T: Sendable>(_ tracker: InstallTracker, _ body: () async throws -> T) async throws -> T {
        let task = Task { try await tracker.run() }
        // Waits for the writer's last flush, so no sighting is written after the test's cleanup.
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        task.cancel()
        _ = await task.result
        return try result.get()
    }

    /// Site-days per day of a campaign, straight from Postgres.
    func postgresDailyCounts(_ campaign: UUID) async throws -> [Int: Int] {
        let rows = try await postgres.query(
            "SELECT (day - DATE '1970-01-01')::int8, count(*)::int8 FROM site_days WHERE campaign_id = \(campaign) GROUP BY day",
            logger: logger)
        var counts: [Int: Int] = [:]
        for try await (day, count) in rows.decode((Int, Int).self) { counts[day] = count }
        return counts
    }

    func postgresSiteCount(_ campaign: UUID) async throws -> (count: Int, min: Int, max: Int) {
        let rows = try await postgres.query(
            "SELECT count(*)::int8, COALESCE(min(site_id), -1)::int8, COALESCE(max(site_id), -1)::int8 FROM sites WHERE campaign_id = \(campaign)",
            logger: logger)
        for try await row in rows.decode((Int, Int, Int).self) { return row }
        return (0, -1, -1)
    }

    func bitcount(_ campaign: UUID, _ day: UTCDay) async throws -> Int {
        Int(try await redis.send("BITCOUNT", InstallKeys.day(campaign, day)).int ?? -1)
    }

    /// Polls `condition` until it holds or `timeout` passes.
    func eventually(_ timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }
}

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let current: Mutex<Date>
    init(_ date: Date) { current = Mutex(date) }
    var now: Date { current.withLock { $0 } }
    func set(_ date: Date) { current.withLock { $0 = date } }
}

/// Stopping and starting the shared services; every stop is paired with `restartAll()`. Each stop
/// checks that the service really went down (``StackFaults``) and throws at once when it did not.
enum Services {
    /// The checkout whose `scripts/stack` restarts what a test stopped (the one that owns the
    /// stopped Postgres's data directory; this repository for Redis).
    private static let checkout = Mutex<String>(TestStack.repositoryRoot.path)

    static func stopRedis() throws {
        try StackFaults.stopRedis()
    }
    static func stopPostgres() throws {
        let stopped = try StackFaults.stopPostgres()
        checkout.withLock { $0 = stopped.checkout }
    }
    /// Starts whatever is down; retried, because other suites' tests depend on these services.
    static func restartAll() {
        let root = checkout.withLock { $0 }
        var failure = ""
        for _ in 0..<5 {
            do {
                try StackFaults.stackUp(checkout: root)
                return
            } catch {
                failure = "\(error)"
            }
            Thread.sleep(forTimeInterval: 1)
        }
        Issue.record("could not restart the stack: \(failure)")
    }
}

/// Noon UTC, `daysAgo` days before today.
func noon(daysAgo: Int) -> Date {
    UTCDay(Date()).adding(days: -daysAgo).start.addingTimeInterval(12 * 3600)
}
