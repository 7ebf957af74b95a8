import Core
import Foundation
import PostgresNIO
@testable import Playback
import TestSupport
import Testing

@Suite("The events endpoint's query")
struct PlaybackQueryTests {
    /// The plan PostgreSQL keeps for a prepared statement once it stops planning per call
    /// (`force_generic_plan`), with sequential scans priced out so that any usable index shows.
    static func genericPlan(_ sql: String, arguments: String, harness: PlaybackHarness) async throws -> String {
        try await harness.postgres.withConnection { connection in
            _ = try await connection.query("SET plan_cache_mode = force_generic_plan", logger: harness.logger)
            _ = try await connection.query("SET enable_seqscan = off", logger: harness.logger)
            let name = "plan_probe_\(UInt32.random(in: 0...UInt32.max))"
            _ = try await connection.query(PostgresQuery(unsafeSQL: "PREPARE \(name) AS \(sql)"), logger: harness.logger)
            defer { Task { _ = try? await connection.query(PostgresQuery(unsafeSQL: "DEALLOCATE \(name)"), logger: harness.logger) } }
            let rows = try await connection.query(PostgresQuery(unsafeSQL: "EXPLAIN EXECUTE \(name)(\(arguments))"), logger: harness.logger)
            var plan: [String] = []
            for try await line in rows.decode(String.self) { plan.append(line) }
            _ = try await connection.query("RESET plan_cache_mode", logger: harness.logger)
            _ = try await connection.query("RESET enable_seqscan", logger: harness.logger)
            return plan.joined(separator: "\n")
        }
    }

    @Test("each statement's generic plan finds the session through an index, with or without its campaign")
    func indexedPlans() async throws {
        try await PlaybackHarness.run { harness in
            let inCampaign = try await Self.genericPlan(PlaybackSegmentsStatement.InCampaign.sql,
                                                        arguments: "'\(UUID().uuidString)'::uuid, 's'", harness: harness)
            #expect(inCampaign.contains("using sessions_pkey on sessions s") || inCampaign.contains("using sessions_by_id on sessions s"),
                    "\(inCampaign)")
            #expect(!inCampaign.contains("Seq Scan"), "\(inCampaign)")
            let anyCampaign = try await Self.genericPlan(PlaybackSegmentsStatement.AnyCampaign.sql, arguments: "'s'", harness: harness)
            #expect(anyCampaign.contains("using sessions_by_id on sessions s"), "\(anyCampaign)")
            #expect(!anyCampaign.contains("Seq Scan"), "\(anyCampaign)")
        }
    }

    @Test("both statements return the session's segments in seq order; across campaigns, every campaign that has the id")
    func rows() async throws {
        try await PlaybackHarness.run { harness in
            let first = try await harness.campaign(), second = try await harness.campaign()
            let session = TestStack.uniqueName("q")
            try await harness.storeSession(campaign: first.id, session: session, segments: [[.marked(2), .marked(3)], [.marked(0), .marked(1)]])
            try await harness.storeSession(campaign: second.id, session: session, segments: [[.marked(0)]])
            let one = try await harness.sessions.playbackSegments(session: session, campaignID: first.id)
            #expect(one.map(\.campaignID) == [first.id])
            #expect(one.first?.segments.map(\.firstSeq) == [0, 2])
            let both = try await harness.sessions.playbackSegments(session: session, campaignID: nil)
            #expect(Set(both.map(\.campaignID)) == [first.id, second.id])
            #expect(both.first(where: { $0.campaignID == second.id })?.segments.map(\.firstSeq) == [0])
            let none = try await harness.sessions.playbackSegments(session: session + "-unknown", campaignID: first.id)
            #expect(none.isEmpty)
        }
    }
}
