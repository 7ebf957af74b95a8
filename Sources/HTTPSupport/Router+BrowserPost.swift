import HTTPTypes
import Hummingbird

extension Router {
    /// A browser-facing POST endpoint: the handler, its CORS preflight (`OPTIONS`), and
    /// `405 method_not_allowed` with `Allow: POST, OPTIONS` for every other method.
    public func browserPost(
        _ path: RouterPath,
        handler: @escaping @Sendable (Request, Context) async -> Response,
        preflight: @escaping @Sendable (Request) async -> Response
    ) {
        post(path) { request, context in await handler(request, context) }
        on(path, method: .options) { request, _ in await preflight(request) }
        for method in [HTTPRequest.Method.get, .put, .delete, .patch, .head] {
            on(path, method: method) { _, _ in APIResponses.error(.methodNotAllowed("POST")) }
        }
    }
}
