import Foundation
import Kafka
import Testing
import TestSupport

extension KafkaIntegrationTests {
    @Suite("Large messages")
    struct LargeMessageTests {
        @Test("a 16 MiB message produces and consumes back intact")
        func sixteenMebibytes() async throws {
            try await KafkaTest.withTopic("kafka-large", partitions: 1) { topic in
                var generator = SystemRandomNumberGenerator()
                let value = (0..<(16 * 1024 * 1024 / 8)).flatMap { _ -> [UInt8] in
                    withUnsafeBytes(of: generator.next() as UInt64) { Array($0) }
                }
                #expect(value.count == 16 * 1024 * 1024)

                let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: KafkaTest.brokers),
                                                 logger: KafkaTest.logger)
                let report = try await producer.send(KafkaOutgoingMessage(
                    topic: topic, key: KafkaTest.bytes("big"), value: value, headers: [KafkaHeader(key: "kind", value: [1])]))
                await producer.shutdown()

                let consumer = try KafkaConsumer(
                    configuration: KafkaTest.consumerConfiguration(group: TestStack.uniqueName("kafka-large"), topic: topic),
                    logger: KafkaTest.logger)
                var received: KafkaMessage?
                let deadline = ContinuousClock.now + .seconds(40)
                while received == nil, ContinuousClock.now < deadline {
                    received = try await consumer.poll(timeout: .seconds(1))
                }
                await consumer.close()

                let message = try #require(received)
                #expect(message.offset == report.offset)
                #expect(message.key == KafkaTest.bytes("big"))
                #expect(message.header("kind") == [1])
                #expect(message.value.count == value.count)
                #expect(message.value == value)
                #expect(message.timestamp != nil)
            }
        }
    }
}
