/// A response body from ``CurlClient/stream(_:)``, delivered as it arrives in chunks of at most
/// 256 KiB, with at most 1 MiB buffered ahead of the reader (the transfer waits while the reader is
/// behind).
///
/// Iterate it once. Cancelling the iterating task, or dropping every copy of the stream and its
/// iterator before the end, aborts the transfer. A transfer failure is thrown by `next()` after
/// the chunks received before it.
public struct CurlBodyStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    /// Aborts the transfer when the last reference to the stream (or an iterator) goes away.
    final class Owner: Sendable {
        let channel: BodyChannel
        init(channel: BodyChannel) { self.channel = channel }
        deinit { channel.cancel() }
    }

    let owner: Owner

    init(channel: BodyChannel) {
        owner = Owner(channel: channel)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let owner: Owner

        public mutating func next() async throws -> [UInt8]? {
            try await owner.channel.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(owner: owner)
    }

    /// Stops the transfer now (the same as dropping the stream, without waiting for the release).
    public func cancel() {
        owner.channel.cancel()
    }
}
