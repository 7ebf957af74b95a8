import Synchronization

/// Opened by the page (or by the test) once everything it sent was answered. The harness page's slow
/// image waits for it, which keeps Chromium's `--dump-dom` open exactly as long as the page needs.
public final class PageGate: Sendable {
    private let open = Mutex(false)
    public init() {}
    public func release() { open.withLock { $0 = true } }
    public var isOpen: Bool { open.withLock { $0 } }
    /// Waits until released or `condition` holds, at most `limit`; true when it opened.
    public func wait(limit: Duration, or condition: @Sendable () -> Bool = { false }) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if isOpen || condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
