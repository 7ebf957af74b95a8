/// The messages of a ``KafkaConsumer`` as an `AsyncSequence`. Each `next()` polls once more, so
/// nothing is fetched ahead of the consumer of the sequence beyond librdkafka's own prefetch.
/// Ends (returns `nil`) after ``KafkaConsumer/close()``.
public struct KafkaMessageSequence: AsyncSequence, Sendable {
    public typealias Element = KafkaMessage

    let consumer: KafkaConsumer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer

        public mutating func next() async throws -> KafkaMessage? {
            while !Task.isCancelled {
                if let message = try await consumer.poll(timeout: .milliseconds(500)) {
                    return message
                }
                if consumer.isClosed { return nil }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(consumer: consumer)
    }
}
