import Dispatch
import Foundation

/// Blocking work (disk, zlib, a file read) run off the cooperative pool and off every NIO event
/// loop: the one helper for it. The caller suspends until the work is done.
public enum BlockingWork {
    /// Runs `body` on a thread of its own named `name` (for long, independent pieces of work).
    public static func run<T: Sendable>(thread name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = name
            thread.start()
        }
    }

    /// Runs `body` on `queue` (a serial queue orders the pieces and bounds them to one thread).
    public static func run<T: Sendable>(on queue: DispatchQueue, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
