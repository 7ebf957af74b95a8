import Core

/// Runs `operation` and gives up after `limit` with ``DatabaseError`` `.unavailable` (see
/// ``withDeadline(_:timeoutError:_:)`` for why a task group will not do).
public func withPostgresDeadline<T: Sendable>(
    _ limit: Duration, doing action: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withDeadline(limit, timeoutError: {
        DatabaseError(kind: .unavailable, code: "database_unavailable",
                      message: "PostgreSQL did not answer within \(limit) while \(action); check that it is running")
    }, operation)
}
