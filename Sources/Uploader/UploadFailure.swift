import S3

/// Whether an upload failure can cure itself (retry with backoff) or S3 will never take the segment
/// as it is (quarantine it, free the slot).
///
/// Transient: transport errors, 5xx, 408, 429 and S3's throttling codes; the local index
/// (PostgreSQL) and file errors; and the errors an operator cures by fixing the deployment
/// (credentials, clock, bucket, permissions: 401, 403, `AccessDenied`, `NoSuchBucket`,
/// `SignatureDoesNotMatch`, `InvalidAccessKeyId`, `RequestTimeTooSkewed`, ...) — quarantining every
/// segment because a key expired would turn one outage into a manual re-drive of the whole spool.
///
/// Permanent: every other 4xx (the request itself is refused: `EntityTooLarge`, `InvalidArgument`,
/// metadata too large, ...), a request the client refuses to build (``S3Error/Kind/configuration``),
/// and a checksum refusal (`BadDigest`, `XAmzContentSHA256Mismatch` or our own ETag check) that
/// persists over ``checksumAttempts`` attempts: one damaged transfer is retried, a file that
/// never arrives intact is not.
enum UploadFailure {
    static let checksumAttempts = 3

    static let deploymentCodes: Set<String> = [
        "AccessDenied", "AllAccessDisabled", "AccountProblem", "InvalidAccessKeyId", "InvalidBucketName", "InvalidSecurity",
        "InvalidToken", "ExpiredToken", "NoSuchBucket", "NotSignedUp", "RequestTimeTooSkewed", "SignatureDoesNotMatch",
        "AuthorizationHeaderMalformed", "PermanentRedirect", "TemporaryRedirect", "TokenRefreshRequired", "KMS.DisabledException",
        "KMS.NotFoundException",
    ]
    static let checksumCodes: Set<String> = ["BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum"]

    /// Why the segment must be quarantined after its `attempt`-th failure with `error`; nil when it
    /// is worth retrying.
    static func permanentReason(_ error: any Error, attempt: Int) -> String? {
        guard let error = error as? S3Error else { return nil }
        switch error.kind {
        case .transport:
            return nil
        case .integrity:
            return attempt >= checksumAttempts ? "\(attempt) uploads in a row failed their integrity check: \(error.message)" : nil
        case .configuration:
            return error.message
        case .service(let code, _, let status):
            if checksumCodes.contains(code) {
                return attempt >= checksumAttempts ? "S3 refused the body's checksum \(attempt) times (\(code)): \(error.message)" : nil
            }
            if status >= 500 || status == 408 || status == 429 || status == 401 || status == 403 { return nil }
            if S3RetryPolicy.retryableCodes.contains(code) || deploymentCodes.contains(code) { return nil }
            guard (400..<500).contains(status) else { return nil }
            return "S3 refused the upload with \(status) \(code): \(error.serviceMessage ?? error.message)"
        }
    }
}
