import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The Collector's response bodies and headers, built in one place.
enum CollectorResponses {
    static func accepted(events: Int, cors: HTTPFields) -> Response {
        var headers = cors
        headers[.contentType] = "application/json"
        return Response(status: .accepted, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: "{\"accepted\":\(events)}")))
    }

    static func error(_ error: CollectorError, cors: HTTPFields = [:]) -> Response {
        var headers = cors
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
        if error.status == .methodNotAllowed { headers[.allow] = "POST, OPTIONS" }
        let body = "{\"error\":{\"code\":\(json(error.code)),\"message\":\(json(error.message))}}"
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// CORS headers granting `origin` (only ever called for an allowed origin).
    static func cors(origin: String?) -> HTTPFields {
        guard let origin else { return [:] }
        return [
            .accessControlAllowOrigin: origin,
            .vary: "Origin",
            .accessControlExposeHeaders: "Retry-After",
        ]
    }

    static func preflight(origin: String) -> Response {
        var headers = cors(origin: origin)
        headers[.accessControlAllowMethods] = "POST, OPTIONS"
        headers[.accessControlAllowHeaders] = "Content-Type, Content-Encoding"
        headers[.accessControlMaxAge] = "600"
        return Response(status: .noContent, headers: headers)
    }

    static func json(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
