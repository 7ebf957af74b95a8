import Hummingbird
import NIOCore

/// The request context of replayd's HTTP server: Hummingbird's core storage plus the peer address
/// (for the client-IP header and logs).
public struct IngestRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
