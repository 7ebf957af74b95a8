import S3
import Testing
@testable import Uploader

extension UploaderTests {
    /// Which upload failures quarantine a segment and which are retried.
    @Suite struct UploadFailureTests {
        static func service(_ code: String, _ status: Int) -> S3Error {
            S3Error(kind: .service(code: code, requestID: nil, status: status), message: "\(status) \(code)")
        }

        @Test func transientAndDeploymentErrorsAreRetried() {
            for error in [Self.service("InternalError", 500), Self.service("SlowDown", 503), Self.service("RequestTimeout", 400),
                          Self.service("AccessDenied", 403), Self.service("SignatureDoesNotMatch", 403), Self.service("NoSuchBucket", 404),
                          Self.service("RequestTimeTooSkewed", 403), Self.service("Whatever", 429), Self.service("Whatever", 408),
                          S3Error(kind: .transport, message: "reset")] {
                #expect(UploadFailure.permanentReason(error, attempt: 50) == nil, "\(error)")
            }
            #expect(UploadFailure.permanentReason(CancellationError(), attempt: 50) == nil)
        }

        @Test func refusalsOfTheRequestItselfArePermanentAtOnce() {
            for error in [Self.service("KeyTooLongError", 400), Self.service("EntityTooLarge", 400), Self.service("InvalidArgument", 400),
                          S3Error(kind: .configuration, message: "object metadata has 3000 bytes")] {
                #expect(UploadFailure.permanentReason(error, attempt: 1) != nil, "\(error)")
            }
        }

        @Test func checksumRefusalsArePermanentOnlyWhenTheyRepeat() {
            for error in [Self.service("BadDigest", 400), S3Error(kind: .integrity, message: "ETag differs")] {
                #expect(UploadFailure.permanentReason(error, attempt: 1) == nil)
                #expect(UploadFailure.permanentReason(error, attempt: UploadFailure.checksumAttempts - 1) == nil)
                #expect(UploadFailure.permanentReason(error, attempt: UploadFailure.checksumAttempts) != nil)
            }
        }
    }
}
