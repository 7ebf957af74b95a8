import Core
import PostgresNIO

/// A PostgreSQL failure with the server's own message (when there is one) and what replayd was doing.
public struct DatabaseError: UserFacingError {
    public enum Kind: Sendable, Equatable {
        /// The server could not be reached or the connection broke: retrying later may succeed.
        case unavailable
        /// The server rejected the statement (constraint, syntax, missing table ...).
        case rejected(sqlState: String)
    }

    public var kind: Kind
    public var code: String
    public var message: String

    public init(kind: Kind, code: String, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    /// Wraps any error thrown by postgres-nio.
    public init(_ error: any Error, doing action: String) {
        if let already = error as? DatabaseError {
            self = already
            return
        }
        if let psql = error as? PSQLError, let fields = psql.serverInfo {
            let sqlState = fields[.sqlState] ?? "?????"
            let text = fields[.message] ?? "no message"
            let detail = fields[.detail].map { " (\($0))" } ?? ""
            self.init(
                kind: .rejected(sqlState: sqlState), code: "database_error",
                message: "PostgreSQL rejected \(action): \(text)\(detail) [SQLSTATE \(sqlState)]")
        } else {
            self.init(
                kind: .unavailable, code: "database_unavailable",
                message: "PostgreSQL is unreachable while \(action): \(String(reflecting: error)). "
                    + "Check that it is running and that REPLAYD_POSTGRES_URL points at it.")
        }
    }

    /// True for a unique-constraint violation (SQLSTATE 23505).
    public var isUniqueViolation: Bool { kind == .rejected(sqlState: "23505") }
}
