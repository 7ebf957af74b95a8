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

/// A GetObject already sent (``S3Client/startGetObject(key:)``).
public struct S3PendingObject: Sendable {
    let client: S3Client
    let request: S3Request
    let pending: CurlPendingStream

    /// Waits for the response: the object's stream, or the ``S3Error`` (404 included) or transport
    /// error of this one attempt. Call at most once.
    public func stream() async throws -> S3ObjectStream {
        let head = try await pending.head()
        return try await client.objectStream(head: head, body: pending.body, request: request)
    }

    /// Aborts the download.
    public func cancel() { pending.cancel() }
}
