/// The schema, versioned in the repository. Append new migrations; never edit an applied one.
/// `docs/architecture.md` (Postgres schema) describes every table.
public enum Schema {
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "campaigns", statements: [
            """
            CREATE TABLE campaigns (
                id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                name              text NOT NULL,
                public_key        text NOT NULL UNIQUE,
                allowed_origins   text[] NOT NULL DEFAULT '{}',
                sessions_per_hour integer NOT NULL DEFAULT 10000 CHECK (sessions_per_hour >= 0),
                events_per_second integer NOT NULL DEFAULT 2000 CHECK (events_per_second >= 0),
                paused            boolean NOT NULL DEFAULT false,
                created_at        timestamptz NOT NULL DEFAULT now(),
                updated_at        timestamptz NOT NULL DEFAULT now()
            )
            """,
        ]),
        Migration(version: 2, name: "sessions and segments", statements: [
            """
            CREATE TABLE sessions (
                campaign_id   uuid NOT NULL REFERENCES campaigns(id),
                session_id    text NOT NULL,
                started_at    timestamptz NOT NULL,
                ended_at      timestamptz NOT NULL,
                event_count   bigint NOT NULL DEFAULT 0,
                bytes         bigint NOT NULL DEFAULT 0,
                segment_count integer NOT NULL DEFAULT 0,
                first_url     text,
                updated_at    timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (campaign_id, session_id)
            )
            """,
            "CREATE INDEX sessions_by_start ON sessions (campaign_id, started_at, session_id)",
            """
            CREATE TABLE segments (
                object_key   text PRIMARY KEY,
                campaign_id  uuid NOT NULL,
                session_id   text NOT NULL,
                first_seq    bigint NOT NULL,
                last_seq     bigint NOT NULL,
                first_ts     timestamptz NOT NULL,
                last_ts      timestamptz NOT NULL,
                event_count  bigint NOT NULL,
                bytes        bigint NOT NULL,
                uploaded_at  timestamptz NOT NULL DEFAULT now(),
                FOREIGN KEY (campaign_id, session_id) REFERENCES sessions (campaign_id, session_id)
            )
            """,
            "CREATE INDEX segments_by_session ON segments (campaign_id, session_id, first_ts)",
        ]),
        Migration(version: 3, name: "install tracker", statements: [
            """
            CREATE TABLE sites (
                campaign_id uuid NOT NULL REFERENCES campaigns(id),
                site_id     integer NOT NULL,
                host        text NOT NULL,
                created_at  timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (campaign_id, site_id),
                UNIQUE (campaign_id, host)
            )
            """,
            """
            CREATE TABLE site_days (
                campaign_id     uuid NOT NULL,
                site_id         integer NOT NULL,
                day             date NOT NULL,
                first_seen      timestamptz NOT NULL,
                last_seen       timestamptz NOT NULL,
                snippet_version text,
                PRIMARY KEY (campaign_id, site_id, day),
                FOREIGN KEY (campaign_id, site_id) REFERENCES sites (campaign_id, site_id)
            )
            """,
        ]),
        Migration(version: 4, name: "analyst tokens", statements: [
            """
            CREATE TABLE analyst_tokens (
                id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                name        text NOT NULL,
                token_hash  bytea NOT NULL UNIQUE,
                created_at  timestamptz NOT NULL DEFAULT now(),
                revoked_at  timestamptz
            )
            """,
        ]),
        Migration(version: 5, name: "analyst token scope and expiry", statements: [
            // campaign_id NULL: the token reads every campaign; expires_at NULL: it never expires.
            "ALTER TABLE analyst_tokens ADD COLUMN campaign_id uuid REFERENCES campaigns(id)",
            "ALTER TABLE analyst_tokens ADD COLUMN expires_at timestamptz",
        ]),
        Migration(version: 6, name: "install ping limit and site cap", statements: [
            """
            ALTER TABLE campaigns
                ADD COLUMN install_pings_per_minute integer NOT NULL DEFAULT 600 CHECK (install_pings_per_minute >= 0),
                ADD COLUMN max_sites integer NOT NULL DEFAULT 1000 CHECK (max_sites >= 0)
            """,
        ]),
        Migration(version: 7, name: "session summaries", statements: [
            // Summed over the session's segments as they upload (SegmentIndex); `summarized_segments`
            // counts the segments that carried a summary (one recovered after a crash does not).
            """
            ALTER TABLE sessions
                ADD COLUMN active_ms              bigint NOT NULL DEFAULT 0,
                ADD COLUMN clicks                 integer NOT NULL DEFAULT 0,
                ADD COLUMN keypresses             integer NOT NULL DEFAULT 0,
                ADD COLUMN scrolls                integer NOT NULL DEFAULT 0,
                ADD COLUMN rage_clicks            integer NOT NULL DEFAULT 0,
                ADD COLUMN dead_clicks            integer NOT NULL DEFAULT 0,
                ADD COLUMN console_errors         integer NOT NULL DEFAULT 0,
                ADD COLUMN console_warnings       integer NOT NULL DEFAULT 0,
                ADD COLUMN unknown_sources        integer NOT NULL DEFAULT 0,
                ADD COLUMN urls                   text[] NOT NULL DEFAULT '{}',
                ADD COLUMN viewport_width         integer,
                ADD COLUMN viewport_height        integer,
                ADD COLUMN user_agent             text,
                ADD COLUMN browser                text,
                ADD COLUMN os                     text,
                ADD COLUMN device                 text,
                ADD COLUMN first_full_snapshot_at timestamptz,
                ADD COLUMN first_incremental_at   timestamptz,
                ADD COLUMN batch_count            bigint NOT NULL DEFAULT 0,
                ADD COLUMN min_seq                bigint,
                ADD COLUMN max_seq                bigint,
                ADD COLUMN summarized_segments    integer NOT NULL DEFAULT 0,
                ADD COLUMN ended                  boolean NOT NULL DEFAULT false
            """,
        ]),
        Migration(version: 8, name: "open sessions", statements: [
            // SessionEnder's scan: only sessions not yet ended, by their last event.
            "CREATE INDEX sessions_open_by_last_event ON sessions (ended_at) WHERE NOT ended",
        ]),
        Migration(version: 9, name: "session search", statements: [
            // The sessions list's other orders, and its rare filters (measured by `replayd-bench search`,
            // docs/benchmarks.md): a page reads only the matching rows of the campaign.
            """
            CREATE INDEX sessions_by_duration ON sessions
                (campaign_id, ((extract(epoch FROM ended_at - started_at) * 1000)::bigint), session_id)
            """,
            "CREATE INDEX sessions_by_activity ON sessions (campaign_id, active_ms, session_id)",
            "CREATE INDEX sessions_with_rage_clicks ON sessions (campaign_id, started_at, session_id) WHERE rage_clicks > 0",
            "CREATE INDEX sessions_with_console_errors ON sessions (campaign_id, started_at, session_id) WHERE console_errors > 0",
        ]),
        Migration(version: 10, name: "ordered segments", statements: [
            // A segment whose batch lines ascend by seq, each seq once, is played as it decompresses
            // (the events endpoint's first byte leaves after its first piece); others are sorted first.
            "ALTER TABLE segments ADD COLUMN ordered boolean NOT NULL DEFAULT false",
        ]),
        Migration(version: 11, name: "sessions by id", statements: [
            // A session named without its campaign (the events, segments and replay routes accept
            // that) was found by reading every session of every campaign.
            "CREATE INDEX sessions_by_id ON sessions (session_id)",
        ]),
    ]
}
