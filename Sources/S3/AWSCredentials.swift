import Core
import Foundation

/// AWS-style credentials: an access key, its secret and, for temporary credentials, a session token.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// Sent as `x-amz-security-token` when set (temporary STS credentials).
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the optional `AWS_SESSION_TOKEN`; nil
    /// when neither key nor secret is set (services that need S3 refuse to start then). Only one
    /// of the two set is a configuration problem, recorded on `reader` naming the missing one.
    public init?(from reader: inout EnvironmentReader) {
        func value(_ name: String) -> String? {
            reader.raw(name).flatMap { raw in
                let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                return trimmed.isEmpty ? nil : trimmed
            }
        }
        let key = value("AWS_ACCESS_KEY_ID"), secret = value("AWS_SECRET_ACCESS_KEY")
        switch (key, secret) {
        case let (key?, secret?):
            self.init(accessKeyID: key, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
        case (nil, nil):
            return nil
        case let (key?, nil):
            reader.problem("AWS_SECRET_ACCESS_KEY is not set: export the secret of access key \(key), or unset AWS_ACCESS_KEY_ID")
            return nil
        case (nil, _?):
            reader.problem("AWS_ACCESS_KEY_ID is not set: export the access key id that AWS_SECRET_ACCESS_KEY belongs to (for the local stack: eval \"$(scripts/stack env)\")")
            return nil
        }
    }
}

extension AWSCredentials: CustomStringConvertible {
    /// Never prints the secret or the token.
    public var description: String {
        "AWSCredentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>\(sessionToken == nil ? "" : ", sessionToken: <redacted>"))"
    }
}
