/// One versioned step of the schema. Statements run in order inside one transaction; a migration that
/// has been applied (recorded in `schema_migrations`) is never run again.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}
