import Foundation
import HTTPSupport
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
        APIResponses.error(error, cors: cors)
    }

    static func cors(origin: String?) -> HTTPFields { APIResponses.cors(origin: origin) }

    static func preflight(origin: String) -> Response {
        APIResponses.preflight(origin: origin, allowHeaders: "Content-Type, Content-Encoding, X-Replayd-Key")
    }
}
