import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` with `100 Continue` as soon as the request head arrives, so a
/// client that asks first (curl does for bodies over 1 MiB) sends its body at once instead of
/// waiting out its own timeout (1 s for curl) on every large batch. Whether the request is then
/// accepted is decided as usual; a refusal after `100 Continue` is allowed by RFC 9110 (§10.1.1).
public final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundOut = HTTPResponsePart

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(var head) = unwrapInboundIn(data),
           let expect = head.headerFields[.expect], expect.lowercased() == "100-continue"
        {
            head.headerFields[.expect] = nil
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            context.fireChannelRead(wrapInboundOut(.head(head)))
            return
        }
        context.fireChannelRead(data)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with ``ExpectContinueHandler`` and the edge limits of ``ConnectionGuard`` (one
    /// `counter` per listener).
    public static func http1WithContinue(edge: HTTPEdgeConfiguration = .init(), counter: ConnectionCounter = .init()) -> HTTPServerBuilder {
        .http1(configuration: .init(additionalChannelHandlers: [
            ConnectionGuard(configuration: edge, counter: counter), ExpectContinueHandler(),
        ]))
    }
}
