import Hummingbird
import NIOCore

/// The request context of replayd's HTTP server: Hummingbird's core storage plus the peer address
/// (for the client-IP header and logs) and the connection's channel (for `100 Continue`).
public struct IngestRequestContext: RequestContext, RemoteAddressRequestContext, ChannelRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }
}
