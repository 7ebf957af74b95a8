/// What one batch's events say about the visitor's activity, taken while the batch is validated
/// (``ActivityReader``): only what session summaries need, never the events themselves.
public struct BatchActivity: Sendable, Equatable {
    /// A click (rrweb MouseInteraction of type Click) at page coordinates.
    public struct Click: Sendable, Equatable {
        public var at: Double
        public var x: Double
        public var y: Double

        public init(at: Double, x: Double, y: Double) {
            self.at = at
            self.x = x
            self.y = y
        }
    }

    /// Clicks, in the batch's order.
    public var clicks: [Click] = []
    /// Times of user input of any kind (mouse and touch moves, interactions, scrolls, input, drags):
    /// active time is measured over them.
    public var activity: [Double] = []
    /// Times of DOM mutations (a click with none within a second after it is dead).
    public var mutations: [Double] = []
    /// Input events (keypresses, value changes) and scrolls.
    public var inputs = 0
    public var scrolls = 0
    /// Page URLs from Meta events, in order.
    public var pages: [String] = []
    /// The last viewport size seen (Meta or ViewportResize).
    public var viewport: (width: Int, height: Int)?
    /// rrweb console plugin events by level.
    public var consoleErrors = 0
    public var consoleWarnings = 0
    /// The first full snapshot and the first incremental event of the batch (ms since 1970).
    public var firstFullSnapshot: Double?
    public var firstIncremental: Double?
    /// Incremental sources this version does not know (newer rrweb); passed through, counted.
    public var unknownSources = 0

    public init() {}

    public static func == (lhs: BatchActivity, rhs: BatchActivity) -> Bool {
        lhs.clicks == rhs.clicks && lhs.activity == rhs.activity && lhs.mutations == rhs.mutations && lhs.inputs == rhs.inputs
            && lhs.scrolls == rhs.scrolls && lhs.pages == rhs.pages && lhs.viewport?.width == rhs.viewport?.width
            && lhs.viewport?.height == rhs.viewport?.height && lhs.consoleErrors == rhs.consoleErrors
            && lhs.consoleWarnings == rhs.consoleWarnings && lhs.firstFullSnapshot == rhs.firstFullSnapshot
            && lhs.firstIncremental == rhs.firstIncremental && lhs.unknownSources == rhs.unknownSources
    }
}
