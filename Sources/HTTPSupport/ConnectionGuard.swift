import Core
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The HTTP edge's limits, one set per listener (`REPLAYD_HTTP_*`; docs/security.md).
public struct HTTPEdgeConfiguration: Sendable {
    /// How long a connection may wait for its next complete request head: after it opens, and after
    /// each response. Idle keep-alive connections and request heads sent a byte at a time
    /// (slow-loris) are closed then.
    public var idleTimeout: Duration = .seconds(30)
    /// How long a request's body may take from its head to its last byte; a body dribbled slower is
    /// cut off by closing the connection.
    public var bodyTimeout: Duration = .seconds(60)
    /// Open connections per listener; a connection beyond it is closed at once.
    public var maxConnections = 4096

    public init() {}
}

/// Counts a listener's open connections (shared by its ``ConnectionGuard``s).
public final class ConnectionCounter: Sendable {
    private let open = Atomic<Int>(0)
    public init() {}
    func enter() -> Int { open.add(1, ordering: .relaxed).newValue }
    func leave() { open.subtract(1, ordering: .relaxed) }
    public var current: Int { open.load(ordering: .relaxed) }
}

/// Enforces ``HTTPEdgeConfiguration`` on one connection: closes it when no complete request head
/// arrives within `idleTimeout` (of opening, or of the previous response), when a request body is
/// not complete within `bodyTimeout` of its head, and at once when the listener already has
/// `maxConnections` open.
///
/// Also closes it once a response marked `Connection: close` has been written while its request's
/// body is still arriving: a request refused before its body was read (an unknown key, say) then
/// never has the rest of that body read. Without that, the HTTP/1 server keeps the connection and
/// reads (and discards) the whole declared body to reach the next request.
public final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private let configuration: HTTPEdgeConfiguration
    private let counter: ConnectionCounter
    private var counted = false
    private var timer: Scheduled<Void>?
    private var requestInProgress = false
    private var closeAfterResponse = false

    public init(configuration: HTTPEdgeConfiguration, counter: ConnectionCounter) {
        self.configuration = configuration
        self.counter = counter
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            requestInProgress = true
            arm(context: context, after: configuration.bodyTimeout)
        case .end:
            requestInProgress = false
            timer?.cancel()
            timer = nil  // the handler is working; the idle clock starts again at the response's end
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.status.kind != .informational {
                closeAfterResponse = head.headerFields[.connection]?.lowercased().contains("close") == true
            }
        case .body:
            break
        case .end:
            if closeAfterResponse, requestInProgress {
                // The rest of the body is never read: close once the answer is out.
                closeAfterResponse = false
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.cascade(to: promise)
                let channel = context.channel
                written.futureResult.whenComplete { _ in channel.close(promise: nil) }
                context.writeAndFlush(data, promise: written)
                return
            }
            if !requestInProgress { arm(context: context, after: configuration.idleTimeout) }
        }
        context.write(data, promise: promise)
    }

    private func start(context: ChannelHandlerContext) {
        guard !counted else { return }
        counted = true
        if counter.enter() > configuration.maxConnections {
            context.close(promise: nil)
            return
        }
        arm(context: context, after: configuration.idleTimeout)
    }

    private func stop() {
        timer?.cancel()
        timer = nil
        if counted {
            counted = false
            counter.leave()
        }
    }

    private func arm(context: ChannelHandlerContext, after duration: Duration) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(Backoff.nanoseconds(duration))) {
            channel.close(promise: nil)
        }
    }
}
