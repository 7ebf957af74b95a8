import Foundation

/// What the sessions list may be narrowed to (`GET /v1/campaigns/{id}/sessions` query parameters;
/// nil: no condition). Every condition reads the summary columns of `sessions`.
public struct SessionFilter: Sendable, Equatable {
    public var minDurationMs: Int64?
    public var maxDurationMs: Int64?
    public var minActiveMs: Int64?
    /// Any visited page URL (or the first URL) contains it.
    public var urlContains: String?
    public var minClicks: Int?
    public var minRageClicks: Int?
    public var hasConsoleErrors: Bool?
    /// Case-insensitive, as listed (`Chrome`, `Safari`, …; `mobile`, `tablet`, `desktop`, `bot`):
    /// set through ``setBrowser(_:)`` and ``setDevice(_:)``, which store the spelling the summary
    /// pass writes (so the comparison is plain equality, which the planner estimates well).
    public var browser: String?
    public var device: String?

    public mutating func setBrowser(_ name: String?) {
        browser = name.map { name in Self.browsers.first { $0.lowercased() == name.lowercased() } ?? name }
    }

    public mutating func setDevice(_ name: String?) { device = name?.lowercased() }

    /// The names ``UserAgentInfo`` writes.
    static let browsers = ["Chrome", "Safari", "Firefox", "Edge", "Opera", "Samsung Internet", "Headless Chrome", "Bot", "Other"]
    public var playable: Bool?
    public var ended: Bool?

    public init() {}
}

/// The order of the sessions list: by start (default), duration or active time, ascending or
/// descending (`sort=-duration`); ties by session id, so cursor pages are stable under inserts.
public struct SessionSort: Sendable, Equatable {
    public enum Key: String, Sendable, CaseIterable {
        case startedAt = "started_at", duration, activity
    }

    public var key: Key = .startedAt
    public var descending = false

    public init(key: Key = .startedAt, descending: Bool = false) {
        self.key = key
        self.descending = descending
    }

    /// `started_at`, `-duration`, …; nil for anything else.
    public init?(parameter: String) {
        let descending = parameter.hasPrefix("-")
        guard let key = Key(rawValue: descending ? String(parameter.dropFirst()) : parameter) else { return nil }
        self.init(key: key, descending: descending)
    }

    /// What rows are ordered by. By start it is the indexed column itself (`sessions_by_start`).
    var sql: String {
        switch key {
        case .startedAt: "started_at"
        case .duration: "(extract(epoch FROM ended_at - started_at) * 1000)::bigint"
        case .activity: "active_ms"
        }
    }

    /// SQL around the cursor's integer key (start in µs, duration or active time in ms) that makes it
    /// a value of ``sql``'s type.
    var cursorSQL: (prefix: String, suffix: String) {
        switch key {
        case .startedAt: ("TIMESTAMPTZ 'epoch' + ", "::bigint * INTERVAL '1 microsecond'")
        case .duration, .activity: ("", "::bigint")
        }
    }

    func value(of session: SessionSummary) -> Int64 {
        switch key {
        case .startedAt: session.startedAtMicros
        case .duration: session.durationMilliseconds
        case .activity: session.activity.activeMillis
        }
    }
}

extension SessionActivityColumns {
    /// ``playable`` as SQL over the row's columns (the same three reasons).
    static let playableSQL = """
        (summarized_segments = 0 OR (first_full_snapshot_at IS NOT NULL
          AND (first_incremental_at IS NULL OR first_incremental_at >= first_full_snapshot_at)
          AND (min_seq IS NULL OR max_seq - min_seq + 1 <= batch_count)))
        """
}
