import Core
import Database
import Kafka
import Uploader

/// Why a record could not be processed, and whether trying again can help.
public struct ProcessingFailure: UserFacingError, Equatable {
    /// Poison records go to the dead-letter topic at once; transient failures are retried.
    public enum Kind: Sendable, Equatable {
        case poison(DeadLetterReason)
        case transient
    }

    public var kind: Kind
    public var code: String
    public var message: String
    /// The Swift type of the underlying error (the `dlq-error-class` header), e.g. `BatchValidationError`.
    public var errorClass: String
    /// The failure is the processor's, not the record's: the spool stopped (it is fail-stop after an
    /// I/O error and needs a restart). Exhausted retries then stop the processor — the records are
    /// consumed again after the restart — instead of dead-lettering every record that follows.
    public var requiresRestart: Bool

    public init(kind: Kind, code: String, message: String, errorClass: String, requiresRestart: Bool = false) {
        self.kind = kind
        self.code = code
        self.message = message
        self.errorClass = errorClass
        self.requiresRestart = requiresRestart
    }

    public static func poison(_ reason: DeadLetterReason, _ message: String, errorClass: String = "ProcessingFailure") -> Self {
        ProcessingFailure(kind: .poison(reason), code: reason.rawValue, message: message, errorClass: errorClass)
    }

    public var isTransient: Bool { kind == .transient }

    /// Classifies an error thrown while storing a record or looking up its campaign. Everything
    /// that is not known to be about the record itself (a full disk, PostgreSQL down, an I/O error,
    /// a broker that went away) is transient: retrying later may succeed, and dead-lettering a good
    /// record would only make work for operators.
    public static func classify(_ error: any Error) -> ProcessingFailure {
        if let failure = error as? ProcessingFailure { return failure }
        let errorClass = String(describing: type(of: error))
        if let validation = error as? BatchValidationError {
            let reason: DeadLetterReason = validation.code == "malformed_batch" ? .undecodable : .invalidBatch
            return ProcessingFailure(kind: .poison(reason), code: validation.code, message: validation.message, errorClass: errorClass)
        }
        if let spool = error as? SpoolError {
            return ProcessingFailure(kind: .transient, code: spool.code, message: spool.message, errorClass: errorClass,
                                     requiresRestart: true)
        }
        if let database = error as? DatabaseError {
            // A statement PostgreSQL rejects will be rejected again; still transient for the record,
            // which is not at fault: it goes to the dead-letter topic once retries are exhausted.
            return ProcessingFailure(kind: .transient, code: database.code, message: database.message, errorClass: errorClass)
        }
        if let userFacing = error as? any UserFacingError {
            return ProcessingFailure(kind: .transient, code: userFacing.code, message: userFacing.message, errorClass: errorClass)
        }
        return ProcessingFailure(kind: .transient, code: "processing_failed", message: String(describing: error), errorClass: errorClass)
    }
}
