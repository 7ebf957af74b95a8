import Synchronization

/// A flag a test waits on, opened by something it cannot time: a page's request once all it sent was
/// answered, or a request reaching the server. Harness pages' slow images wait on it, which keeps
/// Chromium's `--dump-dom` open exactly as long as the page needs.
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
