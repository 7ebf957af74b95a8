import Foundation

/// How the playback endpoints behave. The executable fills it from `REPLAYD_*` variables; every field
/// has a default suitable for the local stack except ``linkSecret`` (signed links are refused
/// without one).
public struct PlaybackConfiguration: Sendable {
    /// Key of the HMAC-SHA256 that signs playback links (`REPLAYD_LINK_SECRET`, at least 16 bytes).
    /// Without it, only bearer tokens are accepted and link signatures are refused.
    public var linkSecret: String?
    /// How long links minted by the session-list page (for a bearer-authenticated request) stay valid.
    public var linkLifetime: Duration = .seconds(3600)
    /// Directory whose files are served under `/assets/rrweb/` (`REPLAYD_RRWEB_ASSETS`): it must hold
    /// ``playerScript`` and ``playerStyle``.
    public var rrwebAssetsDirectory: String?
    /// Where the page loads rrweb-player from instead, e.g. a CDN directory URL (no trailing file
    /// name). Takes precedence over ``rrwebAssetsDirectory``.
    public var rrwebAssetBaseURL: String?
    /// File names of the player build (global `rrwebPlayer`) and its stylesheet.
    public var playerScript = "rrweb-player-0-7-14.js"
    public var playerStyle = "rrweb-player-0-7-14-style.css"
    /// Where the event stream keeps its temporary files (one directory per request, deleted after):
    /// a directory of its own (`REPLAYD_PLAYBACK_TEMP_DIR`), not the spool's disk.
    public var temporaryDirectory: String = (FileManager.default.temporaryDirectory.path as NSString).appendingPathComponent("replayd-playback")
    /// Event streams one process serves at once (`REPLAYD_PLAYBACK_MAX_STREAMS`), and the temporary
    /// bytes they may hold together (`REPLAYD_PLAYBACK_MAX_TEMP_BYTES`); 429 `playback_busy` beyond.
    public var maxConcurrentStreams = 16
    public var maxTemporaryBytes: Int64 = 4 << 30
    /// Read size when streaming events out of the decompressed segments.
    public var chunkSize: Int = 64 << 10
    /// Segments downloaded at the same time for one request.
    public var parallelDownloads: Int = 4
    /// Lifetime of presigned segment URLs (`GET /v1/sessions/{id}/segments`); nil disables that route.
    public var presignedURLLifetime: Duration? = .seconds(900)
    /// Page size of the sessions list when `limit` is not given, and the largest accepted.
    public var defaultPageSize = 50
    public var maximumPageSize = 1000
    /// Who may frame the playback pages: the CSP `frame-ancestors` sources (`REPLAYD_FRAME_ANCESTORS`,
    /// e.g. `'self' https://admin.example.com`); `'none'` by default.
    public var frameAncestors = "'none'"

    public init(linkSecret: String? = nil) {
        self.linkSecret = linkSecret
    }
}
