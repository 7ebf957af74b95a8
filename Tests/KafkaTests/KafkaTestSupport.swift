import Foundation
import Kafka
import Logging
import Synchronization
import TestSupport

enum KafkaTest {
    static let brokers = TestStack.kafkaBrokers

    static let logger: Logger = {
        var logger = Logger(label: "kafka-tests")
        logger.logLevel = .warning
        return logger
    }()

    static var admin: KafkaAdmin { KafkaAdmin(bootstrapServers: brokers, logger: logger) }

    /// Creates a unique topic, runs `body`, and deletes the topic again (Tansu keeps records in memory).
    static func withTopic<T>(_ prefix: String, partitions: Int32, _ body: (String) async throws -> T) async throws -> T {
        let topic = TestStack.uniqueName(prefix)
        try await admin.createTopic(topic, partitions: partitions)
        do {
            let result = try await body(topic)
            try await admin.deleteTopic(topic)
            return result
        } catch {
            try? await admin.deleteTopic(topic)
            throw error
        }
    }

    static func consumerConfiguration(group: String, topic: String) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: brokers, groupID: group, topics: [topic])
        configuration.sessionTimeout = .seconds(6)
        configuration.autoCommitInterval = .milliseconds(500)
        return configuration
    }

    /// Polls `condition` every 100 ms until it holds or `timeout` passed; returns whether it held.
    static func eventually(timeout: Duration, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
}

/// Thread-safe collection of what the tests' poll loops received.
final class ReceivedMessages: Sendable {
    private let messages = Mutex<[KafkaMessage]>([])

    func append(_ message: KafkaMessage) { messages.withLock { $0.append(message) } }
    var all: [KafkaMessage] { messages.withLock { $0 } }
    var count: Int { messages.withLock { $0.count } }
}

/// Runs a consumer's poll loop (poll, store offset, record) in a task until ``stop()``.
final class PollLoop: Sendable {
    let consumer: KafkaConsumer
    let received = ReceivedMessages()
    private let stopped = Mutex(false)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    init(_ consumer: KafkaConsumer) {
        self.consumer = consumer
        let task = Task { [self] in
            while !self.stopped.withLock({ $0 }) {
                if let message = try await self.consumer.poll(timeout: .milliseconds(200)) {
                    try self.consumer.storeOffset(message)
                    self.received.append(message)
                }
            }
        }
        self.task.withLock { $0 = task }
    }

    /// Stops polling and rethrows whatever ended the loop early.
    func stop() async throws {
        stopped.withLock { $0 = true }
        try await task.withLock { $0 }?.value
    }
}
