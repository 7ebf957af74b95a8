import Foundation

/// Runs long blocking work (decompressing a segment to disk) on a thread of its own, so neither the
/// cooperative pool nor an event loop waits on it.
enum BlockingIO {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.name = "replayd-playback-io"
            thread.start()
        }
    }
}
