import Core
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Error bodies and CORS headers shared by the browser-facing endpoints.
public enum APIResponses {
    /// `{"error":{"code":…,"message":…}}` with the error's status, `Retry-After` when it has one and
    /// `Allow` on 405.
    public static func error(_ error: APIError, cors: HTTPFields = [:], allow: String = "POST, OPTIONS") -> Response {
        var headers = cors
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
        if error.status == .methodNotAllowed { headers[.allow] = allow }
        let body = "{\"error\":{\"code\":\(JSONText.quoted(error.code)),\"message\":\(JSONText.quoted(error.message))}}"
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// CORS headers granting `origin` (call it only for an allowed origin).
    public static func cors(origin: String?) -> HTTPFields {
        guard let origin else { return [:] }
        return [.accessControlAllowOrigin: origin, .vary: "Origin", .accessControlExposeHeaders: "Retry-After"]
    }

    /// The answer to an allowed CORS preflight.
    public static func preflight(origin: String, allowHeaders: String) -> Response {
        var headers = cors(origin: origin)
        headers[.accessControlAllowMethods] = "POST, OPTIONS"
        headers[.accessControlAllowHeaders] = allowHeaders
        headers[.accessControlMaxAge] = "600"
        return Response(status: .noContent, headers: headers)
    }
}
