/// A structured error: a stable machine-readable `code`, a message that tells a person what to do,
/// and the underlying cause when there is one.
///
/// Every module throws its own error types; the ones that reach a user (HTTP, CLI) conform to
/// ``UserFacingError`` so the mapping to status codes and exit messages lives in one place.
public protocol UserFacingError: Error, CustomStringConvertible, Sendable {
    /// Stable snake_case identifier, e.g. `payload_too_large`.
    var code: String { get }
    /// What happened and what to do about it.
    var message: String { get }
}

extension UserFacingError {
    public var description: String { "\(code): \(message)" }
}

/// A general-purpose ``UserFacingError`` for failures that need no type of their own.
public struct ReplaydError: UserFacingError, Equatable {
    public var code: String
    public var message: String
    /// A description of the underlying cause (kept as text so the error stays `Sendable` and `Equatable`).
    public var cause: String?

    public init(code: String, message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(code): \(message) (cause: \(cause))" }
        return "\(code): \(message)"
    }
}
