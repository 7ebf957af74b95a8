import Core
import Kafka

/// Classifies a polled batch ahead of the loop that stores it: while the loop writes (and
/// compresses) one chunk of records into the spool, the next chunk is validated in a task of its
/// own, so validation runs on another core instead of adding to the loop's time. Classification is
/// pure, so computing it early changes nothing else; records that end up retried are classified
/// again when they are retried.
struct PipelinedClassification {
    static let chunkSize = 32

    private let messages: [KafkaMessage]
    private let limits: BatchLimits
    private var chunk: [RecordClassifier.Outcome] = []
    private var chunkStart = 0
    private var next: Task<[RecordClassifier.Outcome], Never>?

    init(_ messages: [KafkaMessage], limits: BatchLimits) {
        self.messages = messages
        self.limits = limits
        next = Self.start(messages, from: 0, limits: limits)
    }

    /// The classification of `messages[index]`; call with increasing indexes.
    mutating func result(at index: Int) async -> RecordClassifier.Outcome {
        while index >= chunkStart + chunk.count {
            chunkStart += chunk.count
            chunk = await next?.value ?? []
            next = Self.start(messages, from: chunkStart + chunk.count, limits: limits)
        }
        return chunk[index - chunkStart]
    }

    private static func start(_ messages: [KafkaMessage], from start: Int, limits: BatchLimits) -> Task<[RecordClassifier.Outcome], Never>? {
        guard start < messages.count else { return nil }
        let slice = Array(messages[start..<min(start + chunkSize, messages.count)])
        return Task { slice.map { RecordClassifier.classify($0, limits: limits) } }
    }
}
