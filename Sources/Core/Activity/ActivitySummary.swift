/// What an analyst filters sessions on, as counted over some of a session's batches (a segment's):
/// summaries of consecutive parts add up (``merge(_:)``), and the session's row in PostgreSQL is
/// their sum.
public struct ActivitySummary: Sendable, Equatable {
    /// Time with user input: gaps between input events up to ``SessionActivity/idleGap`` count,
    /// longer ones (the visitor was away) do not.
    public var activeMillis: Double = 0
    public var clicks = 0
    /// Input events (typing, value changes).
    public var keypresses = 0
    public var scrolls = 0
    /// Bursts of ≥ 3 clicks within 1 s within ``SessionActivity/rageRadius`` pixels, each counted once.
    public var rageClicks = 0
    /// Clicks followed by no DOM mutation within 1 s (as far as the events show it).
    public var deadClicks = 0
    public var consoleErrors = 0
    public var consoleWarnings = 0
    /// Pages visited (Meta events), first first, each once, at most ``maxURLs``.
    public var urls: [String] = []
    public var viewportWidth: Int?
    public var viewportHeight: Int?
    public var firstFullSnapshot: Double?
    public var firstIncremental: Double?
    public var unknownSources = 0

    public static let maxURLs = 20

    public init() {}

    mutating func addURL(_ url: String) {
        if urls.count < Self.maxURLs, !urls.contains(url) { urls.append(url) }
    }

    /// Adds a later part of the same session.
    public mutating func merge(_ other: ActivitySummary) {
        activeMillis += other.activeMillis
        clicks += other.clicks
        keypresses += other.keypresses
        scrolls += other.scrolls
        rageClicks += other.rageClicks
        deadClicks += other.deadClicks
        consoleErrors += other.consoleErrors
        consoleWarnings += other.consoleWarnings
        for url in other.urls { addURL(url) }
        if other.viewportWidth != nil { viewportWidth = other.viewportWidth; viewportHeight = other.viewportHeight }
        firstFullSnapshot = [firstFullSnapshot, other.firstFullSnapshot].compactMap { $0 }.min()
        firstIncremental = [firstIncremental, other.firstIncremental].compactMap { $0 }.min()
        unknownSources += other.unknownSources
    }
}
