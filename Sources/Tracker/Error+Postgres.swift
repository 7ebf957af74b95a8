import Database

extension Error {
    /// A Postgres failure after which retrying later may succeed (server down, slow, connection lost).
    var isPostgresUnavailable: Bool {
        if let error = self as? DatabaseError { return error.kind == .unavailable }
        return false
    }
}
