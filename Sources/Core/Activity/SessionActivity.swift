/// Turns a session's batches, as they arrive, into ``ActivitySummary`` parts: counts since the last
/// ``takeSummary()``, plus what must carry across batches (the last input for active time, recent
/// clicks for rage bursts, clicks still waiting to see a mutation). Pure; a few hundred bytes per
/// session.
public struct SessionActivity: Sendable {
    /// A gap between two inputs longer than this is idle time, not active time.
    public static let idleGap: Double = 5_000
    /// Clicks within this many pixels of each other belong to one rage burst.
    public static let rageRadius: Double = 30
    static let rageWindow: Double = 1_000
    static let rageCount = 3
    /// A click with no mutation within this long after it is dead.
    static let deadClickWindow: Double = 1_000

    private var summary = ActivitySummary()
    private var lastInput: Double?
    private var recentClicks: [BatchActivity.Click] = []
    private var inRageBurst = false
    private var pendingClicks: [Double] = []
    private var latest = -Double.infinity

    public init() {}

    /// Counts one batch; `lastTimestamp` is its latest event's time (it tells when pending clicks
    /// have waited long enough).
    public mutating func add(_ batch: BatchActivity, lastTimestamp: Double) {
        for time in batch.activity.sorted() {
            if let lastInput, time > lastInput {
                let gap = time - lastInput
                if gap <= Self.idleGap { summary.activeMillis += gap }
            }
            lastInput = max(lastInput ?? time, time)
        }
        summary.keypresses += batch.inputs
        summary.scrolls += batch.scrolls
        summary.consoleErrors += batch.consoleErrors
        summary.consoleWarnings += batch.consoleWarnings
        summary.unknownSources += batch.unknownSources
        for page in batch.pages { summary.addURL(page) }
        if let viewport = batch.viewport { summary.viewportWidth = viewport.width; summary.viewportHeight = viewport.height }
        if let at = batch.firstFullSnapshot { summary.firstFullSnapshot = min(summary.firstFullSnapshot ?? at, at) }
        if let at = batch.firstIncremental { summary.firstIncremental = min(summary.firstIncremental ?? at, at) }

        // Clicks and mutations in time order: a mutation saves the clicks waiting within the window.
        var mutations = batch.mutations.sorted()[...]
        for click in batch.clicks.sorted(by: { $0.at < $1.at }) {
            // A mutation in the click's own millisecond is its answer (rrweb emits it after the click),
            // so only earlier ones are applied before the click joins the waiting list.
            while let mutation = mutations.first, mutation < click.at {
                resolvePending(until: mutation, mutation: true)
                mutations.removeFirst()
            }
            resolvePending(until: click.at, mutation: false)
            summary.clicks += 1
            pendingClicks.append(click.at)
            countRage(click)
        }
        for mutation in mutations { resolvePending(until: mutation, mutation: true) }
        latest = max(latest, lastTimestamp)
        resolvePending(until: latest, mutation: false)
    }

    /// The counts since the last call; what carries across batches stays.
    public mutating func takeSummary() -> ActivitySummary {
        defer { summary = ActivitySummary() }
        return summary
    }

    /// At `time`: clicks waiting longer than the window are dead; if `mutation`, those within it
    /// (the same millisecond included) are alive.
    private mutating func resolvePending(until time: Double, mutation: Bool) {
        pendingClicks.removeAll { click in
            if time - click > Self.deadClickWindow {
                summary.deadClicks += 1
                return true
            }
            return mutation && time >= click
        }
    }

    private mutating func countRage(_ click: BatchActivity.Click) {
        recentClicks.removeAll { click.at - $0.at > Self.rageWindow || Self.distance($0, click) > Self.rageRadius }
        recentClicks.append(click)
        if recentClicks.count >= Self.rageCount {
            if !inRageBurst {
                summary.rageClicks += 1
                inRageBurst = true
            }
        } else {
            inRageBurst = false
        }
    }

    private static func distance(_ a: BatchActivity.Click, _ b: BatchActivity.Click) -> Double {
        ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot()
    }
}
