import Database
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Marks sessions ended: one whose last event is older than ``idle`` (`REPLAYD_SESSION_END_IDLE`,
/// 30 minutes by default, the snippet's own rule for starting a new session) gets `ended = true`,
/// and its summary is final. A segment that arrives later for it (a very late batch) sets it back
/// to open (``SegmentIndex``). Every Processor runs it; the update is idempotent.
public final class SessionEnder: Service, Sendable {
    let postgres: PostgresClient
    let idle: Duration
    let logger: Logger

    public init(postgres: PostgresClient, idle: Duration, logger: Logger) {
        self.postgres = postgres
        self.idle = idle
        self.logger = logger
    }

    /// How often it looks: a tenth of ``idle``, between 1 s and 1 min.
    var interval: Duration { min(max(idle / 10, .seconds(1)), .seconds(60)) }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let ended = try await self.markEnded()
                    if ended > 0 { self.logger.debug("sessions ended", metadata: ["count": "\(ended)"]) }
                } catch {
                    self.logger.warning("could not mark idle sessions ended; retrying", metadata: ["error": "\(String(describing: DatabaseError(error, doing: "marking sessions ended")))"])
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// Marks every session idle for longer than ``idle``; returns how many.
    @discardableResult
    public func markEnded(now: Date = Date()) async throws -> Int {
        let cutoff = now.addingTimeInterval(-Double(idle.components.seconds) - Double(idle.components.attoseconds) / 1e18)
        let rows = try await postgres.query(
            "UPDATE sessions SET ended = true, updated_at = now() WHERE NOT ended AND ended_at < \(cutoff) RETURNING 1",
            logger: logger)
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }
}
