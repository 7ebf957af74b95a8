import Foundation
import Kafka
import Testing
import TestSupport

extension KafkaIntegrationTests {
    @Suite("Batch polls")
    struct BatchPollTests {
        @Test("poll(maxMessages:) hands over what is fetched, in order, never more than asked; empty after a timeout")
        func batchesInOrder() async throws {
            try await KafkaTest.withTopic("kafka-batch", partitions: 1) { topic in
                let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: KafkaTest.brokers),
                                                 logger: KafkaTest.logger)
                try await withThrowingTaskGroup(of: KafkaDeliveryReport.self) { group in
                    for index in 0..<300 {
                        group.addTask { try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: KafkaTest.bytes("m\(index)"))) }
                    }
                    for try await _ in group {}
                }
                await producer.shutdown()

                let consumer = try KafkaConsumer(
                    configuration: KafkaTest.consumerConfiguration(group: TestStack.uniqueName("kafka-batch"), topic: topic),
                    logger: KafkaTest.logger)
                var batches: [[KafkaMessage]] = []
                let deadline = ContinuousClock.now + .seconds(30)
                while batches.joined().count < 300, ContinuousClock.now < deadline {
                    let batch = try await consumer.poll(maxMessages: 64, timeout: .milliseconds(500))
                    if !batch.isEmpty { batches.append(batch) }
                }
                let messages = Array(batches.joined())
                #expect(messages.map(\.offset) == Array(0..<300).map(Int64.init))
                // Sent concurrently, so the log order of the values is the producer's; each once.
                #expect(Set(messages.compactMap { KafkaTest.text($0.value) }) == Set((0..<300).map { "m\($0)" }))
                #expect(batches.allSatisfy { $0.count <= 64 })
                #expect(batches.count < 300, "records arrive in batches, not one per poll")
                let started = ContinuousClock.now
                #expect(try await consumer.poll(maxMessages: 64, timeout: .milliseconds(300)).isEmpty)
                #expect(ContinuousClock.now - started >= .milliseconds(250), "an empty poll waits for its timeout")
                await consumer.close()
                #expect(try await consumer.poll(maxMessages: 64, timeout: .milliseconds(100)).isEmpty)
            }
        }
    }
}
