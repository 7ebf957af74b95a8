import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The tracker's response bodies and headers, built in one place (same shapes as the Collector's).
enum TrackerResponses {
    static func recorded(cors: HTTPFields) -> Response {
        var headers = cors
        headers[.cacheControl] = "no-store"
        return Response(status: .noContent, headers: headers)
    }

    static func error(_ error: TrackerError, cors: HTTPFields = [:], allow: String = "POST, OPTIONS") -> Response {
        var headers = cors
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
        if error.status == .methodNotAllowed { headers[.allow] = allow }
        let body = "{\"error\":{\"code\":\(json(error.code)),\"message\":\(json(error.message))}}"
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func status(_ status: InstallStatus) throws -> Response {
        let data = try InstallStatus.jsonEncoder().encode(status)
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// CORS headers granting `origin` (only ever called for an allowed origin).
    static func cors(origin: String?) -> HTTPFields {
        guard let origin else { return [:] }
        return [.accessControlAllowOrigin: origin, .vary: "Origin", .accessControlExposeHeaders: "Retry-After"]
    }

    static func preflight(origin: String) -> Response {
        var headers = cors(origin: origin)
        headers[.accessControlAllowMethods] = "POST, OPTIONS"
        headers[.accessControlAllowHeaders] = "Content-Type"
        headers[.accessControlMaxAge] = "600"
        return Response(status: .noContent, headers: headers)
    }

    static func json(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
