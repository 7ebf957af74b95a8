/// S3's XML error document: `<Error><Code/><Message/><RequestId/><Resource/></Error>`.
public struct S3ErrorResponse: Sendable, Equatable {
    public var code: String
    public var message: String?
    public var requestID: String?
    public var resource: String?

    public init(code: String, message: String? = nil, requestID: String? = nil, resource: String? = nil) {
        self.code = code
        self.message = message
        self.requestID = requestID
        self.resource = resource
    }

    /// Parses an error body; `nil` when `body` is not an S3 `<Error>` document.
    public static func parse(_ body: [UInt8]) -> S3ErrorResponse? {
        guard let root = S3XMLElement.parse(body), root.name == "Error", let code = root.value("Code"), !code.isEmpty else { return nil }
        return S3ErrorResponse(code: code, message: root.value("Message"), requestID: root.value("RequestId"), resource: root.value("Resource"))
    }

    /// The code S3 would have sent for a status whose response has no body (HEAD, some proxies).
    static func codeForStatus(_ status: Int) -> String {
        switch status {
        case 301: "PermanentRedirect"
        case 400: "BadRequest"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 409: "Conflict"
        case 412: "PreconditionFailed"
        case 429: "SlowDown"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        default: "HTTP\(status)"
        }
    }
}
