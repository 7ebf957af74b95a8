import Foundation
import PostgresNIO

/// The events endpoint's one query (``SessionStore/playbackSegments(session:campaignID:)``), as
/// prepared statements: it is on the way to every stream's first byte, and planning it each time
/// took about as long as running it (0.34 ms against 0.15 ms a round trip, pgbench on loopback).
///
/// Two statements, so that each has a plan that uses an index whatever the parameters: one within a
/// campaign (the `sessions` primary key), one across campaigns (`sessions_by_id`, migration 11).
/// Rows: the campaign, the session's end, and one segment per row in sequence order (NULLs for a
/// session with no segment yet).
enum PlaybackSegmentsStatement {
    typealias Row = (UUID, Date, String?, Int64?, Int64?, Int64?, Int64?, Bool?)

    static let columns = "s.campaign_id, s.ended_at, g.object_key, g.first_seq, g.last_seq, g.event_count, g.bytes, g.ordered"
    static let join = "sessions s LEFT JOIN segments g ON g.campaign_id = s.campaign_id AND g.session_id = s.session_id"

    /// The session within one campaign.
    struct InCampaign: PostgresPreparedStatement {
        static let name = "replayd_playback_segments_in_campaign"
        static let sql = """
            SELECT \(columns) FROM \(join)
            WHERE s.campaign_id = $1 AND s.session_id = $2
            ORDER BY g.first_seq, g.uploaded_at, g.object_key
            """
        var campaign: UUID
        var session: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(campaign)
            bindings.append(session)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The session in every campaign that has one with this id (at most 20 campaigns are read).
    struct AnyCampaign: PostgresPreparedStatement {
        static let name = "replayd_playback_segments_any_campaign"
        static let sql = """
            SELECT \(columns) FROM \(join)
            WHERE s.session_id = $1
            ORDER BY s.started_at, s.campaign_id, g.first_seq, g.uploaded_at, g.object_key
            """
        var session: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(session)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }
}
