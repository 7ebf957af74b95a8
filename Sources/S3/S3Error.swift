import Core

/// A failed S3 operation, with a message that says what to do about it.
public struct S3Error: UserFacingError {
    /// What kind of failure it was.
    public enum Kind: Sendable, Equatable {
        /// S3 answered with an error: its `Code` (e.g. `NoSuchKey`), request id and HTTP status.
        case service(code: String, requestID: String?, status: Int)
        /// No (complete) answer: connection refused, timeout, broken transfer.
        case transport
        /// The data did not arrive intact (size or checksum mismatch, bad local file).
        case integrity
        /// Missing or invalid configuration or credentials.
        case configuration
    }

    public var kind: Kind
    public var message: String
    /// S3's own message, when S3 sent one.
    public var serviceMessage: String?
    /// How many attempts were made before giving up (1 when not retried).
    public var attempts: Int

    public init(kind: Kind, message: String, serviceMessage: String? = nil, attempts: Int = 1) {
        self.kind = kind
        self.message = message
        self.serviceMessage = serviceMessage
        self.attempts = attempts
    }

    public var code: String {
        switch kind {
        case .service(let code, _, _): "s3_" + Self.snakeCase(code)
        case .transport: "s3_transport"
        case .integrity: "s3_integrity"
        case .configuration: "s3_configuration"
        }
    }

    /// S3's error code (`SignatureDoesNotMatch`, `NoSuchKey`, ...) for service errors.
    public var serviceCode: String? {
        if case .service(let code, _, _) = kind { return code }
        return nil
    }

    /// The HTTP status for service errors.
    public var status: Int? {
        if case .service(_, _, let status) = kind { return status }
        return nil
    }

    static func snakeCase(_ code: String) -> String {
        var out = ""
        for ch in code {
            if ch.isUppercase, !out.isEmpty, out.last != "_" { out.append("_") }
            out.append(ch.isLetter || ch.isNumber ? Character(ch.lowercased()) : "_")
        }
        return out
    }
}
