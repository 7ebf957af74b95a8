import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes the connection once a response marked `Connection: close` has been written while its
/// request's body is still arriving: a request refused before its body was read (an unknown key,
/// say) then never has the rest of that body read, however large it was declared. Without it, the
/// HTTP/1 server would keep the connection and read (and discard) the whole body to reach the next
/// request.
public final class EarlyResponseCloser: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private var requestInProgress = false
    private var closeAfterResponse = false

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: requestInProgress = true
        case .end: requestInProgress = false
        case .body: break
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.status.kind != .informational {
                closeAfterResponse = head.headerFields[.connection]?.lowercased().contains("close") == true
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard closeAfterResponse, requestInProgress else {
                context.write(data, promise: promise)
                return
            }
            closeAfterResponse = false
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            written.futureResult.whenComplete { _ in context.close(promise: nil) }
            context.writeAndFlush(data, promise: written)
        }
    }
}
