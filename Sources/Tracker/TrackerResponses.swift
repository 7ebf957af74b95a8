import Foundation
import HTTPSupport
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
        APIResponses.error(error, cors: cors, allow: allow)
    }

    static func status(_ status: InstallStatus) throws -> Response {
        let data = try InstallStatus.jsonEncoder().encode(status)
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func cors(origin: String?) -> HTTPFields { APIResponses.cors(origin: origin) }

    static func preflight(origin: String) -> Response {
        APIResponses.preflight(origin: origin, allowHeaders: "Content-Type")
    }
}
