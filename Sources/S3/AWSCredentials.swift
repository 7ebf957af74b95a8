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

    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the optional `AWS_SESSION_TOKEN`.
    /// Throws an ``S3Error`` of kind `.configuration` naming the missing variable.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> Self {
        func value(_ name: String) -> String? {
            guard let raw = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else { return nil }
            return raw
        }
        guard let key = value("AWS_ACCESS_KEY_ID") else {
            throw S3Error(kind: .configuration, message: "AWS_ACCESS_KEY_ID is not set: export the S3 access key id (for the local stack: eval \"$(scripts/stack env)\")")
        }
        guard let secret = value("AWS_SECRET_ACCESS_KEY") else {
            throw S3Error(kind: .configuration, message: "AWS_SECRET_ACCESS_KEY is not set: export the secret of access key \(key)")
        }
        return Self(accessKeyID: key, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
    }
}

extension AWSCredentials: CustomStringConvertible {
    /// Never prints the secret or the token.
    public var description: String {
        "AWSCredentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>\(sessionToken == nil ? "" : ", sessionToken: <redacted>"))"
    }
}
