import Foundation
import HTTPSupport
import HTTPTypes
import Hummingbird
import NIOCore

/// The playback endpoints' response bodies and headers, built in one place.
enum PlaybackResponses {
    static let gapsHeader = HTTPField.Name("X-Replayd-Sequence-Gaps")!
    static let batchesHeader = HTTPField.Name("X-Replayd-Batches")!
    static let missingHeader = HTTPField.Name("X-Replayd-Missing-Batches")!
    static let conflictsHeader = HTTPField.Name("X-Replayd-Conflicting-Batches")!
    static let errorHeader = HTTPField.Name("X-Replayd-Error")!
    /// Announces the events stream's trailers.
    static let trailerHeader = HTTPField.Name("Trailer")!

    static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status,
                 headers: [.contentType: "application/json", .cacheControl: "private, no-store",
                           PageSecurity.contentTypeOptions: "nosniff"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func json<T: Encodable>(_ value: T) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return json(String(decoding: data, as: UTF8.self))
    }

    static func error(_ error: PlaybackError) -> Response {
        var response = APIResponses.error(error)
        response.headers[.cacheControl] = "private, no-store"
        response.headers[PageSecurity.contentTypeOptions] = "nosniff"
        if error.status == .unauthorized {
            response.headers[.wwwAuthenticate] = "Bearer realm=\"replayd\""
        }
        return response
    }

    /// An HTML page with ``PageSecurity``'s headers and `policy` as its CSP.
    static func html(_ body: String, status: HTTPResponse.Status = .ok, policy: String) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"]
        PageSecurity.apply(to: &headers, policy: policy)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// A small page stating the error, for the browser-facing routes.
    static func errorPage(_ error: PlaybackError, frameAncestors: String) -> Response {
        let page = """
            <!doctype html><html><head><meta charset="utf-8"><title>replayd: \(HTMLText.escape(error.code))</title>
            <style>body{font:15px system-ui,sans-serif;margin:3em;color:#222}code{background:#eee;padding:1px 4px}</style>
            </head><body><h1>Cannot show this page</h1>
            <p id="replayd-error" data-code="\(HTMLText.escape(error.code))"><code>\(HTMLText.escape(error.code))</code>: \(HTMLText.escape(error.message))</p>
            </body></html>
            """
        var response = html(page, status: error.status, policy: PageSecurity.staticPolicy(frameAncestors: frameAncestors))
        response.headers[errorHeader] = error.code
        return response
    }

}
