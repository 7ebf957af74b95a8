import Core

/// A failure that stops a ``BatchProcessor`` (the process should exit and be restarted; records
/// not yet committed are delivered again, and de-duplication makes that harmless).
public struct ProcessorError: UserFacingError, Equatable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    static func spoolFailed(_ cause: ProcessingFailure, attempts: Int) -> Self {
        ProcessorError(
            code: "spool_failed",
            message: "The spool refused batches \(attempts) times in a row (\(cause.message)). Check the spool directory's "
                + "disk (space, permissions, I/O errors) and restart; batches not yet committed are consumed again.")
    }

    static func spoolNotDurable(_ cause: ProcessingFailure, attempts: Int) -> Self {
        ProcessorError(
            code: "spool_not_durable",
            message: "The spool could not make written batches durable after \(attempts) attempts (\(cause.message)). "
                + "Check the spool directory's disk (space, permissions, I/O errors); the processor stops so the batches "
                + "since the last commit are consumed again after a restart.")
    }
}
