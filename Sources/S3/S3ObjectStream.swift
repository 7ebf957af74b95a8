import Curl

/// An object being downloaded: its head, then its body in chunks as they arrive (at most about
/// 1 MiB buffered ahead of the reader). Iterate once; dropping it aborts the download.
public struct S3ObjectStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    public let head: S3ObjectHead
    let body: CurlBodyStream

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: CurlBodyStream.AsyncIterator
        public mutating func next() async throws -> [UInt8]? { try await base.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: body.makeAsyncIterator()) }

    /// Stops the download.
    public func cancel() { body.cancel() }
}
