import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` with `100 Continue` only once a handler starts reading the body
/// (``ContinueOnBodyReadMiddleware`` sends ``SendContinue``), so a client that asks first (curl does
/// for bodies over 1 MiB) sends its body at once when the request is wanted, and never sends it when
/// the request is refused first (an unknown key, say). A final response written while the `100` is
/// still owed carries `Connection: close` (RFC 9110 §10.1.1): the client may send the body anyway
/// or not at all, so the connection cannot carry a next request.
public final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    /// Asks the handler for the owed `100 Continue` (a no-op when none is owed).
    public struct SendContinue: Sendable {
        public init() {}
    }

    private var owed = false

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            owed = head.headerFields[.expect]?.lowercased() == "100-continue"
        }
        context.fireChannelRead(data)
    }

    public func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is SendContinue else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        if owed {
            owed = false
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: promise)
        } else {
            promise?.succeed()
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if owed, case .head(var response) = unwrapOutboundIn(data), response.status.kind != .informational {
            owed = false
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
            return
        }
        context.write(data, promise: promise)
    }
}

/// A request context that knows its connection's channel.
public protocol ChannelRequestContext: RequestContext {
    var channel: any Channel { get }
}

/// For a request with `Expect: 100-continue`, sends the owed `100 Continue` when the handler first
/// reads the body (see ``ExpectContinueHandler``); other requests pass untouched.
public struct ContinueOnBodyReadMiddleware<Context: ChannelRequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.headers[.expect]?.lowercased() == "100-continue" else { return try await next(request, context) }
        var request = request
        request.body = RequestBody(asyncSequence: ContinueOnFirstRead(base: request.body, channel: context.channel))
        return try await next(request, context)
    }
}

/// A body that asks for the `100 Continue` before its first read.
struct ContinueOnFirstRead: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let channel: any Channel

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let channel: any Channel
        var asked = false

        mutating func next() async throws -> ByteBuffer? {
            if !asked {
                asked = true
                channel.triggerUserOutboundEvent(ExpectContinueHandler.SendContinue(), promise: nil)
            }
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), channel: channel)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with ``ExpectContinueHandler`` and the edge limits of ``ConnectionGuard`` (one
    /// `counter` per listener). Routers served by it add ``ContinueOnBodyReadMiddleware``.
    public static func http1WithContinue(edge: HTTPEdgeConfiguration = .init(), counter: ConnectionCounter = .init()) -> HTTPServerBuilder {
        .http1(configuration: .init(additionalChannelHandlers: [
            ConnectionGuard(configuration: edge, counter: counter), ExpectContinueHandler(),
        ]))
    }
}
