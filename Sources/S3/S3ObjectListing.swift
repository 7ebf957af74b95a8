/// The objects under a prefix, fetched page by page (ListObjectsV2) as the sequence is iterated.
public struct S3ObjectListing: AsyncSequence, Sendable {
    public typealias Element = S3ObjectSummary

    let client: S3Client
    let prefix: String
    let startAfter: String?
    let maxKeys: Int

    public struct AsyncIterator: AsyncIteratorProtocol {
        let listing: S3ObjectListing
        var buffer: [S3ObjectSummary] = []
        var index = 0
        var token: String?
        var finished = false
        var started = false
        /// How many ListObjectsV2 requests this iterator made.
        public private(set) var pagesFetched = 0

        public mutating func next() async throws -> S3ObjectSummary? {
            while index >= buffer.count {
                if finished || (started && token == nil) { return nil }
                let page = try await listing.client.listObjectsPage(
                    prefix: listing.prefix, startAfter: started ? nil : listing.startAfter,
                    continuationToken: token, maxKeys: listing.maxKeys
                )
                started = true
                pagesFetched += 1
                buffer = page.objects
                index = 0
                token = page.next
                if page.next == nil && page.objects.isEmpty { finished = true }
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(listing: self) }

    /// Every object, collected.
    public func collect() async throws -> [S3ObjectSummary] {
        var all: [S3ObjectSummary] = []
        for try await object in self { all.append(object) }
        return all
    }
}
