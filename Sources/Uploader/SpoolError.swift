import Core

/// A spool or upload failure, with what to do about it.
public struct SpoolError: UserFacingError, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A file operation failed (disk full, permissions ...).
        case io
        /// The spool was shut down, or stopped after an I/O error: nothing more is accepted.
        case unavailable
        /// Another process holds the spool directory.
        case locked
    }

    public var kind: Kind
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var code: String {
        switch kind {
        case .io: "spool_io"
        case .unavailable: "spool_unavailable"
        case .locked: "spool_locked"
        }
    }
}
